/**
 * What a stage is to the runners: a typed transform from a batch of input messages to, per
 * input and in input order, its output messages or the error that makes it poison. A transform
 * knows no topics, bytes, headers, Kafka client, clock or environment; the runner decodes its
 * inputs, encodes and routes its outputs, retries and dead-letters (src/engine/process-batch.ts).
 *
 * Contract of `process`:
 * - resolves with exactly one entry per input: `Out[]` (zero or more outputs) or a
 *   non-retriable PipelineError (poison: that input alone goes to the dead letters);
 * - rejects with a retriable PipelineError when a dependency fails (the runner retries the
 *   whole batch with jittered backoff); a non-retriable rejection makes the runner process the
 *   inputs one by one to find the poison;
 * - may be called again with the same inputs (retries, redelivery): it must be idempotent.
 */
import type { SettledConfig } from '../config/schema.ts';
import type { Embedder } from '../embedding/types.ts';
import type { PipelineError } from '../errors/pipeline-error.ts';
import type { MinisterProfiles } from '../stages/minister/profiles.ts';
import type { SqlClient } from '../storage/sql-client.ts';

export interface Transform<In, Out> {
  process(batch: readonly In[], signal: AbortSignal): Promise<ReadonlyArray<readonly Out[] | PipelineError>>;
  /** Inputs gathered before `process`: at most `size`, or fewer after `lingerMs`. */
  readonly batch: { readonly size: number; readonly lingerMs: number };
  /** Batches processed at once (results stay in input order). */
  readonly concurrency: number;
  /** Releases what the transform opened itself (not the shared resources). Idempotent. */
  close?(): Promise<void>;
}

/**
 * Shared dependencies, opened lazily by the runner's wiring and closed by it: one embedder per
 * process (the embed and minister stages of the in-process runner share it), one database.
 */
export interface Resources {
  embedder(): Embedder;
  /** The store; rejects with a ConfigError naming DATABASE_URL when there is none. */
  database(): Promise<SqlClient>;
  /** The store when one is configured (the embed stage's stored-vector lookup is optional). */
  optionalDatabase(): Promise<SqlClient | undefined>;
  /** Minister profiles embedded with `embedder()`, built once. */
  ministers(): Promise<MinisterProfiles>;
}

/** Observations a transform reports; the wiring turns them into metrics or a run summary. */
export interface StageObserver {
  /** One embedding request finished. */
  embedRequest?(outcome: 'ok' | 'overload' | 'error', seconds: number): void;
  /** Chunks embedded by a request, and chunks whose stored vector was reused. */
  embedded?(fresh: number, reused: number): void;
  /** The adaptive embedding concurrency changed. */
  embedConcurrency?(limit: number): void;
  /** A best-effort step was skipped after a retriable failure (e.g. the vector lookup). */
  skipped?(error: PipelineError): void;
}

/** What a transform factory receives. */
export interface StageContext {
  readonly config: SettledConfig;
  readonly resources: Resources;
  readonly observer: StageObserver;
  /** ms epoch; the only clock a transform may read. */
  readonly now: () => number;
}
