/**
 * The last step of the Kafka runner's stream: makes batches of outcomes durable through a sink
 * (produce and wait for the acks), retrying outages with backoff (the
 * upstream buffers fill and the source pauses meanwhile), then reports each outcome as durable
 * (the Kafka runner completes its offset then). Fails the stream with DLQ_LIMIT_EXCEEDED when
 * the share of poison passes the limit.
 */
import { Writable } from 'node:stream';
import { PipelineError } from '../errors/pipeline-error.ts';
import type { RetryPolicy } from '../config/retry-policy.ts';
import { retry } from './backoff.ts';
import type { DlqLimiter } from './dlq-limiter.ts';
import type { Outcome } from './outcome.ts';

/**
 * Where outcomes go once processed. Resolves when they are durable; throws retriable errors for
 * outages. A sink may drop outcomes whose input this member no longer owns (an exactly-once sink:
 * their new owner redoes them) and resolve with them: they are not durable and not reported.
 */
export interface OutcomeSink<M, Out> {
  write(outcomes: readonly Outcome<M, Out>[]): Promise<void | ReadonlySet<Outcome<M, Out>>>;
}

export interface SinkStreamOptions<M, Out> {
  sink: OutcomeSink<M, Out>;
  limiter: DlqLimiter;
  retryPolicy: RetryPolicy;
  signal: AbortSignal;
  /** Called for every outcome once durable, in order (offsets, metrics, job tracking). */
  onDurable?: (outcome: Outcome<M, Out>) => void;
  /** Called for every outcome the sink dropped (see OutcomeSink). */
  onDropped?: (outcome: Outcome<M, Out>) => void;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const DLQ_LIMIT_MESSAGE = 'more than the allowed share of messages were dead-lettered: halting instead of draining the input into the dead letters; inspect them with `era-ingest dlq list`, fix the cause, then restart (DLQ_MAX_RATIO, DLQ_WINDOW)';

export function sinkStream<M, Out>({ sink, limiter, retryPolicy, signal, onDurable, onDropped, onRetry }: SinkStreamOptions<M, Out>): Writable {
  const writeAll = async (outcomes: Outcome<M, Out>[]): Promise<void> => {
    const { value: dropped } = await retry(() => sink.write(outcomes), retryPolicy, { signal, ...(onRetry ? { onRetry } : {}) });
    let halted = false;
    for (const outcome of outcomes) {
      if (dropped?.has(outcome)) {
        onDropped?.(outcome);
        continue;
      }
      onDurable?.(outcome);
      if (limiter.record(outcome.poison !== undefined)) halted = true;
    }
    if (halted) throw new PipelineError('DLQ_LIMIT_EXCEEDED', `${DLQ_LIMIT_MESSAGE} (ratio ${limiter.ratio.toFixed(2)})`);
  };
  return new Writable({
    objectMode: true,
    highWaterMark: 4,
    writev(chunks, callback) {
      writeAll(chunks.flatMap((c) => c.chunk as Outcome<M, Out>[])).then(() => callback(), (error: unknown) => callback(error as Error));
    },
  });
}
