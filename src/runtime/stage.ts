/**
 * What a stage is, for the runtime: how to decode its input and how to turn a batch of inputs
 * into output records. The pure transform lives in src/stages/<name>/; the definition adapts it
 * (decode, call, encode) and holds the stage's dependencies (embedder, database).
 */
import type { PipelineError } from '../errors/pipeline-error.ts';
import type { Headers } from '../topics/headers.ts';
import type { TopicNames } from '../topics/names.ts';
import type { Ticket } from './offset-tracker.ts';

export const STAGE_NAMES = ['chunk', 'embed', 'minister', 'store'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** One consumed record, as the source hands it on. */
export interface InputMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  /** Record timestamp, ms epoch as a string (kafkajs). */
  readonly timestamp: string;
  readonly ticket: Ticket;
}

/** One record to produce. `value: null` is a tombstone. */
export interface OutputRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

/** The outcome of one input: its outputs, or the poison error that sends it to the DLQ. */
export type StageResult =
  | { readonly input: InputMessage; readonly outputs: readonly OutputRecord[]; readonly poison?: undefined }
  | { readonly input: InputMessage; readonly outputs: readonly []; readonly poison: PipelineError; readonly attempts: number };

export interface DecodedInput<T> {
  readonly message: InputMessage;
  readonly value: T;
}

export interface StageDefinition<T> {
  /** Stage name: one of STAGE_NAMES for the product stages; used in group ids, logs, metrics, DLQ headers. */
  readonly name: string;
  /** Topics consumed, in priority order (the first is served first). */
  inputTopics(topics: TopicNames): string[];
  /** Topics the stage produces to (ensured at start, besides the DLQ). */
  outputTopics(topics: TopicNames): string[];
  /**
   * Bytes → value. Throws (or rejects with) a non-retriable PipelineError for poison; a
   * retriable one (schema registry unreachable) is retried like a failing `process`.
   */
  decode(message: InputMessage): T | Promise<T>;
  /**
   * Processes a batch; returns, per input and in input order, its output records or the
   * non-retriable error that makes it poison. Throws a retriable PipelineError when a
   * dependency fails (the runtime retries the whole batch with backoff); a non-retriable throw
   * makes the runtime process the inputs one by one to find the poison.
   */
  process(batch: ReadonlyArray<DecodedInput<T>>, signal: AbortSignal): Promise<Array<readonly OutputRecord[] | PipelineError>>;
  /** Batching of inputs before `process`. @defaultValue { size: 1, lingerMs: 0 } */
  readonly batch?: { size: number; lingerMs: number };
  /** Batches processed at once (results stay in order). @defaultValue 1 */
  readonly concurrency?: number;
  /** Releases the stage's own resources (database pool, embedder). Idempotent. */
  close?(): Promise<void>;
}
