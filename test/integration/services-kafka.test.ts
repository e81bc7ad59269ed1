import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { waitForLeaders } from '../../src/kafka/admin.ts';
import { kafkaBrokers } from '../helpers/services.ts';
import { uniqueName } from '../helpers/names.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('local Kafka broker (real, started by infra/kafka/kafka.sh)', () => {
  const kafka = new Kafka({ clientId: 'smoke', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  let consumer: Consumer | undefined;

  afterAll(async () => {
    await consumer?.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  });

  it('creates a 3-partition topic, produces and consumes 1,000 records with manual commits', async () => {
    const topic = uniqueName('smoke');
    const groupId = uniqueName('smoke-group');
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: false })).toBe(true);
    await waitForLeaders(admin, [topic]);
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(meta?.partitions).toHaveLength(3);

    await producer.connect();
    const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 37}`, value: `v${i}` }));
    await producer.send({ topic, acks: -1, messages });

    consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen.add(message.value!.toString());
        await consumer!.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
    await waitFor(() => seen.size === 1000, { what: '1,000 distinct records consumed' });

    const ends = await admin.fetchTopicOffsets(topic);
    const endSum = ends.reduce((sum, p) => sum + Number(p.high), 0);
    expect(endSum).toBe(1000);
    const committed = await waitFor(async () => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const sum = offsets!.partitions.reduce((s, p) => s + Number(p.offset), 0);
      return sum === 1000 ? offsets!.partitions : undefined;
    }, { what: 'committed offsets to reach the end offsets' });
    for (const p of committed) {
      expect(p.offset).toBe(ends.find((e) => e.partition === p.partition)!.high);
    }
    await admin.deleteTopics({ topics: [topic] });
  });
});
