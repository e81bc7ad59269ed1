/**
 * The sink of a Kafka stage: a Writable of StageResult[] over an idempotent kafkajs producer.
 * Outputs and dead letters of many results go in one `sendBatch` (acks from all in-sync
 * replicas); only after the broker acknowledged them are the inputs completed in the
 * OffsetTracker, so a commit never covers an output that is not durable (DESIGN.md §2.1).
 */
import { Writable } from 'node:stream';
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { DependencyError, PipelineError } from '../errors/pipeline-error.ts';
import { retry, type RetryPolicy } from './backoff.ts';
import { dlqRecord, type DlqContext, type DlqLimiter } from './dlq.ts';
import type { OffsetTracker } from './offset-tracker.ts';
import type { StageResult } from './stage.ts';

/** Where the results of a batch go once processed. Kafka stages produce; tests may collect. */
export interface ResultSink {
  /** Makes the results durable; resolves when they are. Throws retriable errors for outages. */
  write(results: readonly StageResult[]): Promise<void>;
}

export interface KafkaResultSinkOptions {
  producer: Producer;
  dlq: Omit<DlqContext, 'nowMs'>;
  now?: () => number;
}

const NON_RETRIABLE_PRODUCE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'TOPIC_AUTHORIZATION_FAILED', 'UNKNOWN_TOPIC_OR_PARTITION']);

/** Produces outputs and dead letters of a set of results in one request. */
export function kafkaResultSink({ producer, dlq, now = Date.now }: KafkaResultSinkOptions): ResultSink {
  return {
    async write(results) {
      const byTopic = new Map<string, Message[]>();
      const add = (topic: string, message: Message): void => {
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(message);
      };
      for (const result of results) {
        if (result.poison) {
          const record = dlqRecord(result.input, result.poison, result.attempts, { ...dlq, nowMs: now() });
          add(record.topic, { key: record.key, value: record.value, headers: record.headers });
        } else {
          for (const out of result.outputs) add(out.topic, { key: out.key, value: out.value, headers: out.headers });
        }
      }
      if (byTopic.size === 0) return;
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      try {
        await producer.sendBatch({ topicMessages, acks: -1 });
      } catch (error) {
        const type = (error as { type?: string; cause?: { type?: string } }).type ?? (error as { cause?: { type?: string } }).cause?.type;
        if (type && NON_RETRIABLE_PRODUCE.has(type)) {
          throw new PipelineError('INTERNAL', `the broker refused the stage's output (${type}): check the topics exist and their max.message.bytes is above MAX_DOCUMENT_BYTES`, { cause: error });
        }
        throw new DependencyError('kafka', `produce failed: ${(error as Error).message}`, error);
      }
    },
  };
}

export interface SinkStreamOptions {
  sink: ResultSink;
  tracker: OffsetTracker;
  limiter: DlqLimiter;
  retryPolicy: RetryPolicy;
  signal: AbortSignal;
  /** Called for every result once durable (metrics, job tracking). */
  onDurable?: (result: StageResult) => void;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * The pipeline's last step: writes batches of results through the sink (retrying outages with
 * backoff; the upstream buffers fill and the source pauses meanwhile), then completes their
 * inputs. Fails the pipeline with DLQ_LIMIT_EXCEEDED when the poison share passes the limit.
 */
export function sinkStream({ sink, tracker, limiter, retryPolicy, signal, onDurable, onRetry }: SinkStreamOptions): Writable {
  const writeAll = async (results: StageResult[]): Promise<void> => {
    await retry(() => sink.write(results), retryPolicy, { signal, onRetry });
    let halted = false;
    for (const result of results) {
      tracker.complete(result.input.ticket);
      onDurable?.(result);
      if (limiter.record(result.poison !== undefined)) halted = true;
    }
    if (halted) {
      throw new PipelineError('DLQ_LIMIT_EXCEEDED', `more than the allowed share of messages went to the DLQ (ratio ${limiter.ratio.toFixed(2)}): halting instead of draining the input into the DLQ; inspect with \`era-ingest dlq list\`, fix the producer, then restart (DLQ_MAX_RATIO, DLQ_WINDOW)`);
    }
  };
  return new Writable({
    objectMode: true,
    highWaterMark: 4,
    writev(chunks, callback) {
      writeAll(chunks.flatMap((c) => c.chunk as StageResult[])).then(() => callback(), (error: unknown) => callback(error as Error));
    },
  });
}
