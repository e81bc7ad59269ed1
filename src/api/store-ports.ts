/**
 * The API's ports on an embedded store (`serve` without KAFKA_BROKERS): documents are queued
 * into the server's one in-process pipeline (src/in-process/ingest-queue.ts), dead letters are
 * the store's dead_letters table, replayed through the in-process runner.
 */
import { PipelineError } from '../errors/pipeline-error.ts';
import type { IngestQueue } from '../in-process/ingest-queue.ts';
import { listDeadLetterRows } from '../storage/dead-letters.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { HttpError } from './http-error.ts';
import type { DeadLetterSource, DocumentSink } from './ports.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Queues documents for the in-process pipeline; `store` names it in the answer (e.g. `PGlite in /data`). */
export function inProcessDocumentSink(queue: IngestQueue, store: string): DocumentSink {
  return {
    async submit(documents, { jobId }) {
      const offer = queue.offer(documents.map((doc) => ({ docId: doc.id, doc, origin: `POST /documents ${jobId}`, jobId })));
      if (offer === 'full') {
        throw new HttpError(503, 'BUSY', `${queue.queued} documents are waiting for the in-process pipeline, the most this server queues; retry shortly`, { 'retry-after': '5' });
      }
      if (offer === 'closed') throw new PipelineError('SHUTDOWN', 'the in-process pipeline is shutting down', { retriable: true });
      return { accepted: documents.length, store };
    },
    readiness: () => ({ pipeline: queue.accepting() }),
  };
}

/** The store's dead_letters table: listed by `dlq list --data-dir`'s code, replayed through the queue's runner. */
export function storeDeadLetters(client: SqlClient, queue: IngestQueue): DeadLetterSource {
  return {
    async list(filter, limit) {
      const rows = await listDeadLetterRows(client, filter, limit);
      return rows.map((r) => {
        let value: string | null = null;
        let valueEncoding: 'utf8' | 'base64' = 'utf8';
        if (r.value !== null) {
          try {
            value = utf8.decode(r.value);
          } catch {
            value = r.value.toString('base64');
            valueEncoding = 'base64';
          }
        }
        return {
          id: String(r.id), stage: r.stage, code: r.errorCode, message: r.errorMessage, docId: r.docId ?? null, jobId: r.jobId ?? null,
          attempts: r.attempts, failedAt: r.failedAt.toISOString(), value, valueEncoding,
          ...(r.origin !== undefined ? { origin: r.origin } : {}), ...(r.replayedAt ? { replayedAt: r.replayedAt.toISOString() } : {}),
        };
      });
    },
    replay: (filter, options) => queue.replay(filter, options),
  };
}
