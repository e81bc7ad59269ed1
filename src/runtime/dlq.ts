/**
 * Dead-letter records (DESIGN.md §3) and the limit on how much may be dead-lettered.
 */
import type { PipelineError } from '../errors/pipeline-error.ts';
import { DLQ_HEADERS } from '../topics/headers.ts';
import type { InputMessage, OutputRecord } from './stage.ts';

const MAX_STACK = 2000;
const MAX_MESSAGE = 1000;

export interface DlqContext {
  stage: string;
  group: string;
  dlqTopic: string;
  nowMs: number;
}

/**
 * The DLQ copy of a poison input: key and value bytes exactly as received, the input's own
 * headers kept, and the error headers added. The key is kept as bytes: OutputRecord.key is a
 * string, so the raw key is carried in `rawKey`.
 */
export interface DlqRecord extends Omit<OutputRecord, 'key'> {
  readonly key: Buffer | null;
}

export function dlqRecord(input: InputMessage, error: PipelineError, attempts: number, ctx: DlqContext): DlqRecord {
  const previous = Number(input.headers[DLQ_HEADERS.attempts] ?? 0);
  return {
    topic: ctx.dlqTopic,
    key: input.key,
    value: input.value,
    headers: {
      ...input.headers,
      [DLQ_HEADERS.stage]: ctx.stage,
      [DLQ_HEADERS.errorCode]: error.code,
      [DLQ_HEADERS.errorMessage]: error.message.slice(0, MAX_MESSAGE),
      [DLQ_HEADERS.errorStack]: (error.stack ?? '').slice(0, MAX_STACK),
      [DLQ_HEADERS.originalTopic]: input.topic,
      [DLQ_HEADERS.originalPartition]: String(input.partition),
      [DLQ_HEADERS.originalOffset]: input.offset,
      [DLQ_HEADERS.originalTimestamp]: input.timestamp,
      [DLQ_HEADERS.consumerGroup]: ctx.group,
      [DLQ_HEADERS.attempts]: String(Number.isFinite(previous) ? previous + attempts : attempts),
      [DLQ_HEADERS.failedAt]: String(ctx.nowMs),
    },
  };
}

export interface DlqLimitOptions {
  /** Largest share of poison tolerated in the window. @defaultValue 0.5 */
  maxRatio: number;
  /** Results in the sliding window; the limit applies once it is full. @defaultValue 200 */
  window: number;
}

/**
 * Sliding-window poison ratio (Arroyo's DLQ limit): when the share of poison among the last
 * `window` results passes `maxRatio`, the stage must halt instead of draining into the DLQ.
 */
export class DlqLimiter {
  private readonly ring: boolean[] = [];
  private next = 0;
  private poison = 0;

  constructor(private readonly options: DlqLimitOptions) {}

  /** Records one result; returns true when the limit is now exceeded. */
  record(isPoison: boolean): boolean {
    if (this.ring.length < this.options.window) {
      this.ring.push(isPoison);
    } else {
      if (this.ring[this.next]) this.poison -= 1;
      this.ring[this.next] = isPoison;
      this.next = (this.next + 1) % this.options.window;
    }
    if (isPoison) this.poison += 1;
    return this.exceeded();
  }

  exceeded(): boolean {
    return this.ring.length >= this.options.window && this.poison / this.ring.length > this.options.maxRatio;
  }

  get ratio(): number {
    return this.ring.length ? this.poison / this.ring.length : 0;
  }
}
