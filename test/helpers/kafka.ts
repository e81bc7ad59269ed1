/**
 * Kafka helpers for integration tests, against the real broker of global-setup.ts.
 */
import { Kafka, logLevel, type Admin, type IHeaders, type Message, type Producer } from 'kafkajs';
import { groupPositions, waitForLeaders } from '../../src/kafka/admin.ts';
import { headersToStrings } from '../../src/kafka/headers.ts';
import { readToEnd } from '../../src/kafka/read-to-end.ts';
import type { Headers } from '../../src/topics/headers.ts';
import { uniqueName } from './names.ts';
import { kafkaBrokers } from './services.ts';
import { waitFor } from './wait-for.ts';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  rawHeaders: IHeaders;
}

export function testKafka(clientId = 'test', brokers: string[] = kafkaBrokers()): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

export class KafkaTestKit {
  readonly kafka: Kafka;
  /** `brokers` selects another broker (a fault-injection instance); default: the shared one. */
  constructor(brokers?: string[]) {
    this.kafka = testKafka('test', brokers);
  }
  private admin?: Admin;
  private readonly topics: string[] = [];
  private readonly producer = (): Producer => (this.producerInstance ??= this.kafka.producer({ allowAutoTopicCreation: false, idempotent: true }));
  private producerInstance?: Producer;
  private producerConnected = false;

  async adminClient(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  /** Creates a uniquely named topic (deleted in `cleanup`). */
  async topic(prefix: string, partitions = 3): Promise<string> {
    const name = uniqueName(prefix);
    const admin = await this.adminClient();
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, configEntries: [{ name: 'max.message.bytes', value: String(16 * 1024 * 1024) }] }], waitForLeaders: false });
    await waitForLeaders(admin, [name]);
    this.topics.push(name);
    return name;
  }

  /** Registers topics created by code under test, so `cleanup` deletes them. */
  track(...names: string[]): void {
    this.topics.push(...names);
  }

  async produce(topic: string, messages: Message[]): Promise<void> {
    if (!this.producerConnected) {
      await this.producer().connect();
      this.producerConnected = true;
    }
    for (let i = 0; i < messages.length; i += 500) {
      await this.producer().send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
  }

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const offsets = await (await this.adminClient()).fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  /** Committed offsets of a group on a topic (partition → offset; -1 when none), read like the pipeline reads them. */
  async committed(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const positions = await groupPositions(await this.adminClient(), groupId, topic);
    return new Map(positions.map((p) => [p.partition, p.committed ?? -1n]));
  }

  /** Waits until the group has committed the end offset of every partition of `topic`. */
  async waitForCommittedToEnd(groupId: string, topic: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => {
      const [ends, committed] = await Promise.all([this.endOffsets(topic), this.committed(groupId, topic)]);
      return [...ends].every(([p, end]) => end === 0n || committed.get(p) === end);
    }, { timeoutMs, intervalMs: 250, what: `group ${groupId} to commit to the end of ${topic}` });
  }

  /** Reads every record of `topic` from the beginning (a throwaway group), until `count` arrived. */
  async readAll(topic: string, count: number, timeoutMs = 60_000): Promise<ConsumedRecord[]> {
    return this.read(topic, (records) => waitFor(() => records.length >= count, { timeoutMs, what: `${count} records on ${topic} (have ${records.length})` }));
  }

  /** Every record of `topic` a read_committed reader gets from the beginning to the end offsets as they are now (src/kafka/read-to-end.ts). */
  async readToEnd(topic: string, timeoutMs = 60_000): Promise<ConsumedRecord[]> {
    const records: ConsumedRecord[] = [];
    await readToEnd(this.kafka, topic, (message, partition) => void records.push({ topic, partition, offset: message.offset, key: message.key, value: message.value, headers: headersToStrings(message.headers), rawHeaders: message.headers ?? {} }), { timeoutMs });
    return records;
  }

  /** Every record of `topic` a reader gets within `ms` (a throwaway group, from the beginning): for diagnostics. */
  async readFor(topic: string, ms: number): Promise<ConsumedRecord[]> {
    return this.read(topic, () => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Reads `topic` from the beginning with a throwaway group until `until` settles. */
  private async read(topic: string, until: (records: ConsumedRecord[]) => Promise<unknown>): Promise<ConsumedRecord[]> {
    const records: ConsumedRecord[] = [];
    const consumer = this.kafka.consumer({ groupId: uniqueName('reader'), allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic: t, partition, message }) => {
          records.push({ topic: t, partition, offset: message.offset, key: message.key, value: message.value, headers: headersToStrings(message.headers), rawHeaders: message.headers ?? {} });
        },
      });
      await until(records);
    } finally {
      await consumer.disconnect();
    }
    return records;
  }

  /** Number of records in a topic (end minus start offsets). */
  async count(topic: string): Promise<number> {
    const offsets = await (await this.adminClient()).fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(BigInt(o.high) - BigInt(o.low)), 0);
  }

  async cleanup(): Promise<void> {
    if (this.producerConnected) await this.producer().disconnect();
    if (this.topics.length) await this.adminClient();
    if (this.admin) {
      const existing = new Set(await this.admin.listTopics());
      const topics = this.topics.filter((t) => existing.has(t));
      if (topics.length) await this.admin.deleteTopics({ topics }).catch(() => undefined);
      await this.admin.disconnect();
    }
  }
}
