/**
 * The one way into Kafka for everything that is not a stage: an idempotent producer
 * (acks=all) that `publish`, the HTTP API, `dlq replay` and the re-embedding feed share.
 */
import type { Kafka, Producer } from 'kafkajs';
import { DependencyError } from '../errors/pipeline-error.ts';
import type { Headers } from '../topics/headers.ts';
import type { TopicSpec } from '../topics/names.ts';
import { endSpan, startPublishSpan, withTraceContext } from '../tracing/spans.ts';
import { ensureTopics, type TopicSettings } from './admin.ts';

/** A record to publish; `value: null` is a tombstone. */
export interface PublishRecord {
  key: string | Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

export interface Publisher {
  /**
   * Publishes `records` to `topic` in order, in sends of at most `batchSize`, each acknowledged
   * by all in-sync replicas. Not atomic across sends or partitions: when it throws, a prefix
   * may be published (republishing is harmless: ids are keys, the store upserts).
   * @throws DependencyError (retriable) when the broker refuses or cannot be reached.
   */
  send(topic: string, records: readonly PublishRecord[]): Promise<void>;
  /**
   * True once connected and until closed, except for `unhealthyMs` after a failed send (kafkajs
   * reports no broker loss otherwise; the pause is bounded so that a not-ready instance, which
   * gets no traffic, becomes ready again and retries).
   */
  connected(): boolean;
  /** Disconnects (sends are awaited, nothing is buffered). Idempotent. */
  close(): Promise<void>;
}

export interface PublisherOptions {
  /** Topics to create first when missing (never relying on broker auto-creation). */
  ensure?: { specs: readonly TopicSpec[]; settings: TopicSettings };
  /** Records per producer.send. @defaultValue 500 */
  batchSize?: number;
  /** How long connected() is false after a failed send, ms. @defaultValue 10_000 */
  unhealthyMs?: number;
}

/**
 * Ensures the topics exist, then connects an idempotent producer.
 * @throws whatever kafkajs throws when the brokers cannot be reached (after its retries).
 */
export async function connectPublisher(kafka: Kafka, { ensure, batchSize = 500, unhealthyMs = 10_000 }: PublisherOptions = {}): Promise<Publisher> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`connectPublisher: batchSize must be a positive integer, got ${batchSize}`);
  if (!(unhealthyMs >= 0)) throw new RangeError(`connectPublisher: unhealthyMs must be ≥ 0, got ${unhealthyMs}`);
  if (ensure) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, ensure.specs, ensure.settings);
    } finally {
      await admin.disconnect();
    }
  }
  const producer: Producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  let up = false;
  let failedAt = Number.NEGATIVE_INFINITY;
  producer.on(producer.events.CONNECT, () => {
    up = true;
  });
  producer.on(producer.events.DISCONNECT, () => {
    up = false;
  });
  await producer.connect();
  up = true;
  let closed: Promise<void> | undefined;
  return {
    async send(topic, records) {
      if (closed) throw new DependencyError('kafka', 'the publisher is closed');
      // One `publish` span per record, ended when the broker acknowledged it; its context is the
      // record's traceparent (a no-op span and the headers unchanged when tracing is off).
      const spans = records.map((record) => startPublishSpan(topic, record));
      const traced = records.map((record, i) => ({ ...record, headers: withTraceContext(record.headers, spans[i]!) }));
      let sent = 0;
      try {
        for (let i = 0; i < traced.length; i += batchSize) {
          await producer.send({ topic, acks: -1, messages: traced.slice(i, i + batchSize) });
          for (const span of spans.slice(i, (sent = Math.min(i + batchSize, traced.length)))) endSpan(span);
        }
        failedAt = Number.NEGATIVE_INFINITY;
      } catch (error) {
        failedAt = Date.now();
        const failure = new DependencyError('kafka', `publishing to ${topic} failed: ${(error as Error).message}`, error);
        for (const span of spans.slice(sent)) endSpan(span, failure);
        throw failure;
      }
    },
    connected: () => up && !closed && Date.now() - failedAt >= unhealthyMs,
    close: () => (closed ??= producer.disconnect()),
  };
}
