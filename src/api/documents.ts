/**
 * `POST /documents`: validate every document of the request, publish all of them to the raw
 * lane under one job id, record the job, answer 202. See ./submission.ts for the body shapes.
 */
import { randomUUID } from 'node:crypto';
import { recordJob } from '../storage/jobs.ts';
import { topicNames } from '../dataflow/topics.ts';
import { readBody, parseJsonBody, requireJsonContentType } from './body.ts';
import { withSlot, type Handler } from './context.ts';
import { HttpError, sendJson } from './http-error.ts';
import { parseSubmission, prepareRecords } from './submission.ts';

/** Envelope + documents array + document + metadata's own limit, with room to spare. */
const JSON_DEPTH_MARGIN = 32;

/** 202 body of POST /documents. */
export interface Accepted {
  jobId: string;
  accepted: number;
  topic: string;
  /** Present (false) only when publishing worked but the job could not be recorded. */
  jobRecorded?: false;
}

/**
 * Answers 202 `{ jobId, accepted, topic }` once every record is acknowledged by Kafka;
 * 400 `{ error, invalid: [{ index, id?, code, message }] }` with nothing published when any
 * document is invalid; 413/415/400 for the body itself; 503 when busy or Kafka is down.
 * When recording the job fails after publishing, the documents are in Kafka (answering an error
 * would invite a duplicate retry): the answer is still 202, with `jobRecorded: false`.
 */
export const postDocuments: Handler = async ({ req, res, deps, options, metrics, inFlight }) => {
  requireJsonContentType(req);
  await withSlot(inFlight, 'submissions', options.maxConcurrentSubmissions, async () => {
    const body = parseJsonBody(await readBody(req, options.maxBodyBytes), options.limits.maxMetadataDepth + JSON_DEPTH_MARGIN);
    const submission = parseSubmission(body, options.maxDocuments);
    const jobId = submission.jobId ?? `job-${randomUUID()}`;
    const { records, invalid } = prepareRecords(submission.documents, jobId, options.limits, Date.now());
    if (invalid.length > 0) {
      for (const i of invalid) metrics.documentsRejected.inc({ code: i.code });
      throw new HttpError(400, 'INVALID_DOCUMENTS', `${invalid.length} of ${submission.documents.length} documents are invalid; nothing was published`, {}, { invalid });
    }
    const topics = topicNames(options.topicPrefix);
    const topic = submission.priority ? topics.rawPriority : topics.raw;
    await deps.publisher.send(topic, records);
    metrics.documentsAccepted.inc({ lane: submission.priority ? 'high' : 'normal' }, records.length);
    const answer: Accepted = { jobId, accepted: records.length, topic };
    try {
      await recordJob(deps.db, { jobId, docCount: records.length, priority: submission.priority });
    } catch (error) {
      deps.logger?.error({ jobId, err: (error as Error).message }, 'documents published but the job could not be recorded');
      answer.jobRecorded = false;
    }
    sendJson(res, 202, answer);
  });
};
