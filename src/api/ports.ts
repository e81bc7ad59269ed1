/**
 * The two ports through which the HTTP API reaches the pipeline, so the same routes serve both
 * deployments (./kafka-ports.ts: the stage services over Kafka; ./store-ports.ts: the
 * in-process runner of an embedded store, `serve` without KAFKA_BROKERS).
 */
import type { RawDocument } from '../topics/messages.ts';

export interface SubmitOptions {
  jobId: string;
  /** The priority lane (era.raw.priority); the in-process runner has one lane. */
  priority: boolean;
  /** ms epoch of the request: era.published.at of Kafka records. */
  nowMs: number;
}

/** Where POST /documents put the documents: a topic (Kafka) or a store (the in-process runner). */
export type SubmitResult = { accepted: number; topic: string } | { accepted: number; store: string };

/** Takes validated documents into the pipeline. */
export interface DocumentSink {
  /**
   * Hands `documents` (validated, each carrying `options.jobId`) to the pipeline, all or none.
   * Resolves once they are accepted: acknowledged by Kafka, or queued for the in-process runner.
   * @throws HttpError 503 BUSY when the in-process queue is full; a retriable PipelineError
   *   (503) when the pipeline cannot take them now (broker down, shutting down).
   */
  submit(documents: readonly RawDocument[], options: SubmitOptions): Promise<SubmitResult>;
  /** Fields of /readyz, each true when that part can take documents: `{ kafka }` or `{ pipeline }`. */
  readiness(): Record<string, boolean>;
}

export interface DeadLetterFilter {
  stage?: string;
  code?: string;
}

/** One dead letter as GET /dead-letters shows it, whichever runner recorded it. */
export interface DeadLetterView {
  /** `<partition>:<offset>` in era.dlq, or the row id in the store's dead_letters. */
  id: string;
  stage: string;
  code: string;
  message: string;
  docId: string | null;
  jobId: string | null;
  attempts: number;
  /** ISO 8601. */
  failedAt: string;
  /** The input message as received (UTF-8, or base64 per `valueEncoding`); null for a tombstone. */
  value: string | null;
  valueEncoding: 'utf8' | 'base64';
  /** Store: where the document came from (a file, a request). */
  origin?: string;
  /** Store: when it was last replayed (ISO 8601), if ever. */
  replayedAt?: string;
  /** Kafka: where the record failed. */
  kafka?: { partition: number; offset: string; originalTopic: string; originalPartition: number; originalOffset: string };
}

/** What a replay did: Kafka counts per topic re-published to, the store per stage re-run. */
export type ReplayResult = { replayed: number; skipped: number; byTopic: Record<string, number> } | { replayed: number; skipped: number; byStage: Record<string, number> };

/** The dead letters of the runner behind the API: era.dlq, or the store's dead_letters table. */
export interface DeadLetterSource {
  /** Matching letters, oldest first, at most `limit`. */
  list(filter: DeadLetterFilter, limit: number): Promise<DeadLetterView[]>;
  /** `era-ingest dlq replay`'s rules: the matching letters not replayed yet, or all again with `all`. */
  replay(filter: DeadLetterFilter, options: { all: boolean }): Promise<ReplayResult>;
}
