/**
 * The sink of a Kafka stage: outputs and dead letters of many outcomes go in one `sendBatch`
 * of an idempotent producer (acks from all in-sync replicas). The runner completes the inputs
 * only after it resolved, so a commit never covers an output that is not durable
 * (DESIGN.md §2.1).
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { OutcomeSink } from '../engine/sink-stream.ts';
import { DependencyError, PipelineError } from '../errors/pipeline-error.ts';
import { dlqRecord, type DlqContext } from './dlq-record.ts';
import type { InputMessage, OutputRecord } from './records.ts';

export interface KafkaResultSinkOptions {
  producer: Producer;
  dlq: Omit<DlqContext, 'nowMs'>;
  now?: () => number;
}

const NON_RETRIABLE_PRODUCE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'TOPIC_AUTHORIZATION_FAILED', 'UNKNOWN_TOPIC_OR_PARTITION']);

/** Produces `records` in one request; a refusal that retrying cannot fix is INTERNAL, the rest retriable. */
export async function produceAll(producer: Producer, records: readonly OutputRecord[]): Promise<void> {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push({ key: r.key, value: r.value, headers: r.headers });
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
}

/** Produces the outputs of every outcome, and a dead letter for every poison input. */
export function kafkaResultSink({ producer, dlq, now = Date.now }: KafkaResultSinkOptions): OutcomeSink<InputMessage, OutputRecord> {
  return {
    write: (outcomes) => produceAll(producer, outcomes.flatMap((o) => (o.poison ? [dlqRecord(o.input, o.poison, o.attempts, { ...dlq, nowMs: now() })] : o.outputs))),
  };
}
