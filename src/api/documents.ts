/**
 * `POST /documents`: validate every document of the request, hand all of them under one job id
 * to the document sink (./ports.ts: Kafka's raw lane, or the in-process runner's queue), record
 * the job, answer 202. See ./submission.ts for the body shapes.
 */
import { randomUUID } from 'node:crypto';
import { recordJob } from '../storage/jobs.ts';
import { readBody, parseJsonBody, requireJsonContentType } from './body.ts';
import { withSlot, type Handler } from './context.ts';
import { HttpError, sendJson } from './http-error.ts';
import { parseSubmission, prepareDocuments } from './submission.ts';

/** Envelope + documents array + document + metadata's own limit, with room to spare. */
const JSON_DEPTH_MARGIN = 32;

/** 202 body of POST /documents: `topic` (Kafka) or `store` (the in-process runner). */
export type Accepted = { jobId: string; accepted: number; topic?: string; store?: string; /** Present (false) only when the documents were accepted but the job could not be recorded. */ jobRecorded?: false };

/**
 * Answers 202 `{ jobId, accepted, topic }` once every record is acknowledged by Kafka, or
 * `{ jobId, accepted, store }` once the documents are queued for the in-process runner (the job
 * then progresses to complete: GET /jobs/:id); 400 `{ error, invalid: [{ index, id?, code,
 * message }] }` with nothing accepted when any document is invalid; 413/415/400 for the body
 * itself; 503 when busy (the in-process queue too), Kafka is down or the server is stopping.
 * When recording the job fails after the documents were accepted (answering an error would
 * invite a duplicate retry): the answer is still 202, with `jobRecorded: false`.
 */
export const postDocuments: Handler = async ({ req, res, deps, options, metrics, inFlight }) => {
  requireJsonContentType(req);
  await withSlot(inFlight, 'submissions', options.maxConcurrentSubmissions, async () => {
    const body = parseJsonBody(await readBody(req, options.maxBodyBytes), options.limits.maxMetadataDepth + JSON_DEPTH_MARGIN);
    const submission = parseSubmission(body, options.maxDocuments);
    const jobId = submission.jobId ?? `job-${randomUUID()}`;
    const { documents, invalid } = prepareDocuments(submission.documents, jobId, options.limits);
    if (invalid.length > 0) {
      for (const i of invalid) metrics.documentsRejected.inc({ code: i.code });
      throw new HttpError(400, 'INVALID_DOCUMENTS', `${invalid.length} of ${submission.documents.length} documents are invalid; nothing was published`, {}, { invalid });
    }
    const result = await deps.sink.submit(documents, { jobId, priority: submission.priority, nowMs: Date.now() });
    metrics.documentsAccepted.inc({ lane: submission.priority ? 'high' : 'normal' }, documents.length);
    const answer: Accepted = { jobId, ...result };
    try {
      await recordJob(deps.db, { jobId, docCount: documents.length, priority: submission.priority });
    } catch (error) {
      deps.logger?.error({ jobId, err: (error as Error).message }, 'documents accepted but the job could not be recorded');
      answer.jobRecorded = false;
    }
    sendJson(res, 202, answer);
  });
};
