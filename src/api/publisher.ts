/**
 * The HTTP API's way into Kafka: an idempotent producer (acks=all) on the raw lanes, wrapped so
 * the server can be built in tests from a real producer and report readiness.
 */
import type { Kafka, Producer } from 'kafkajs';
import { DependencyError } from '../errors/pipeline-error.ts';
import { ensureTopics } from '../topics/admin.ts';
import type { RawRecord } from '../topics/raw-record.ts';

/** Publishes records of `era.raw` / `era.raw.priority`. */
export interface Publisher {
  /**
   * Publishes `records` in order, in sends of at most `batchSize`, each acknowledged by all
   * in-sync replicas. Not atomic across sends or partitions: when it throws, a prefix may be
   * published (republishing is harmless: ids are keys, the store upserts).
   * @throws DependencyError (retriable) when the broker refuses or cannot be reached.
   */
  send(topic: string, records: readonly RawRecord[]): Promise<void>;
  /**
   * True once connected and until closed, except for `unhealthyMs` after a failed send (kafkajs
   * reports no broker loss otherwise; the pause is bounded so that a not-ready instance, which
   * gets no traffic, becomes ready again and retries).
   */
  connected(): boolean;
  /** Flushes nothing (sends are awaited) and disconnects. Idempotent. */
  close(): Promise<void>;
}

export interface KafkaPublisherOptions {
  /** TOPIC_PREFIX. */
  topicPrefix: string;
  /** Partitions of the raw topics when they must be created (TOPIC_PARTITIONS). */
  partitions: number;
  /** TOPIC_REPLICATION_FACTOR. */
  replicationFactor: number;
  /** `max.message.bytes` of created topics: MAX_DOCUMENT_BYTES plus headroom for headers. */
  maxMessageBytes: number;
  /** Records per producer.send. @defaultValue 500 */
  batchSize?: number;
  /** How long connected() is false after a failed send, ms. @defaultValue 10_000 */
  unhealthyMs?: number;
}

/**
 * Ensures the raw topics exist (never relying on broker auto-creation), then connects an
 * idempotent producer.
 * @throws whatever kafkajs throws when the brokers cannot be reached (after its retries).
 */
export async function connectKafkaPublisher(kafka: Kafka, options: KafkaPublisherOptions): Promise<Publisher> {
  const { batchSize = 500, unhealthyMs = 10_000 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`connectKafkaPublisher: batchSize must be a positive integer, got ${batchSize}`);
  if (!(unhealthyMs >= 0)) throw new RangeError(`connectKafkaPublisher: unhealthyMs must be ≥ 0, got ${unhealthyMs}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, {
      prefix: options.topicPrefix, partitions: options.partitions, replicationFactor: options.replicationFactor,
      maxMessageBytes: options.maxMessageBytes, only: ['raw', 'rawPriority'],
    });
  } finally {
    await admin.disconnect();
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
      try {
        for (let i = 0; i < records.length; i += batchSize) {
          await producer.send({ topic, acks: -1, messages: records.slice(i, i + batchSize) });
        }
        failedAt = Number.NEGATIVE_INFINITY;
      } catch (error) {
        failedAt = Date.now();
        throw new DependencyError('kafka', `publishing to ${topic} failed: ${(error as Error).message}`, error);
      }
    },
    connected: () => up && !closed && Date.now() - failedAt >= unhealthyMs,
    close: () => (closed ??= producer.disconnect()),
  };
}
