/**
 * The sink of a Kafka stage (DELIVERY=at-least-once): outputs and dead letters of many outcomes
 * go in one `sendBatch` of an idempotent producer (acks from all in-sync replicas). The runner
 * completes the inputs only after it resolved, so a commit never covers an output that is not
 * durable (DESIGN.md §2.1). ./transactional-sink.ts is the exactly-once sink; both produce the
 * records `outcomeRecords` gives and classify failures with `produceError`.
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { OutcomeSink } from '../engine/sink-stream.ts';
import { DependencyError, PipelineError } from '../errors/pipeline-error.ts';
import { kafkaErrorType } from './client.ts';
import { dlqRecord, type DlqContext } from './dlq-record.ts';
import type { InputMessage, OutputRecord, RecordOutcome } from './records.ts';

export interface KafkaResultSinkOptions {
  producer: Producer;
  dlq: Omit<DlqContext, 'nowMs'>;
  now?: () => number;
}

const NON_RETRIABLE_PRODUCE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'TOPIC_AUTHORIZATION_FAILED', 'UNKNOWN_TOPIC_OR_PARTITION']);

/** The records of outcomes: each one's outputs, or the dead letter of a poison input. */
export function outcomeRecords(outcomes: readonly RecordOutcome[], dlq: Omit<DlqContext, 'nowMs'>, nowMs: number): OutputRecord[] {
  return outcomes.flatMap((o) => (o.poison ? [dlqRecord(o.input, o.poison, o.attempts, { ...dlq, nowMs })] : o.outputs));
}

/** Records grouped by topic, as kafkajs' sendBatch takes them. */
export function topicMessages(records: readonly OutputRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push({ key: r.key, value: r.value, headers: r.headers });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** A produce failure as the runner handles it: a refusal that retrying cannot fix is INTERNAL, the rest retriable. */
export function produceError(error: unknown): PipelineError {
  const type = kafkaErrorType(error);
  if (type && NON_RETRIABLE_PRODUCE.has(type)) {
    return new PipelineError('INTERNAL', `the broker refused the stage's output (${type}): check the topics exist and their max.message.bytes is above MAX_DOCUMENT_BYTES`, { cause: error });
  }
  return new DependencyError('kafka', `produce failed: ${(error as Error).message}`, error);
}

/** Produces `records` in one request; see produceError for what it throws. */
export async function produceAll(producer: Producer, records: readonly OutputRecord[]): Promise<void> {
  if (records.length === 0) return;
  try {
    await producer.sendBatch({ topicMessages: topicMessages(records), acks: -1 });
  } catch (error) {
    throw produceError(error);
  }
}

/** Produces the outputs of every outcome, and a dead letter for every poison input. */
export function kafkaResultSink({ producer, dlq, now = Date.now }: KafkaResultSinkOptions): OutcomeSink<InputMessage, OutputRecord> {
  return {
    write: (outcomes) => produceAll(producer, outcomeRecords(outcomes, dlq, now())),
  };
}
