/**
 * The contract of the Kafka port (src/kafka: the only code that imports kafkajs), against the
 * real broker: topics as the declaration wants them, a group's position (the one read of
 * committed vs end offsets that lag, replay, reading to the end and the re-embedding share),
 * the publisher, reading to the end, lag, and replay's refusal while a group has members.
 * The consuming half (source, sink, offsets, DLQ) is covered by ./stage-runner.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { topicNames, topicSpecs } from '../../../src/dataflow/topics.ts';
import { ensureTopics, groupMembers, groupPositions, setGroupOffsets, topicSettings } from '../../../src/kafka/admin.ts';
import { connectPublisher } from '../../../src/kafka/publisher.ts';
import { measureLag } from '../../../src/kafka/lag-monitor.ts';
import { readToEnd } from '../../../src/kafka/read-to-end.ts';
import { replayGroup } from '../../../src/kafka/replay.ts';
import { DependencyError } from '../../../src/errors/pipeline-error.ts';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { uniqueName } from '../../helpers/names.ts';
import { testConfig } from '../../helpers/runner.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('the Kafka port on the real broker', () => {
  let kit: KafkaTestKit;
  afterEach(async () => {
    await kit.cleanup();
  });

  const setup = async () => {
    kit = new KafkaTestKit();
    const config = testConfig();
    const specs = topicSpecs(config.topicPrefix);
    kit.track(...specs.map((s) => s.topic));
    const admin = await kit.adminClient();
    const created = await ensureTopics(admin, specs, topicSettings(config));
    return { config, specs, admin, created, topics: topicNames(config.topicPrefix) };
  };

  it('creates every topic of the declaration once: raw lanes compacted, the rest time-retained, all accepting MAX_DOCUMENT_BYTES', async () => {
    const { config, specs, admin, created } = await setup();
    expect(created.sort()).toEqual(specs.map((s) => s.topic).sort());
    expect(await ensureTopics(admin, specs, topicSettings(config))).toEqual([]);
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: specs.map((s) => ({ type: 2, name: s.topic })) });
    for (const resource of described.resources) {
      const entry = (name: string) => resource.configEntries.find((e) => e.configName === name)?.configValue;
      const spec = specs.find((s) => s.topic === resource.resourceName)!;
      expect(entry('cleanup.policy'), spec.topic).toBe(spec.compacted ? 'compact' : 'delete');
      expect(Number(entry('max.message.bytes')), spec.topic).toBe(config.maxDocumentBytes + 1024 * 1024);
    }
    const metadata = await admin.fetchTopicMetadata({ topics: [specs[0]!.topic] });
    expect(metadata.topics[0]!.partitions).toHaveLength(config.topicPartitions);
  });

  it('publishes keyed records with headers and tombstones, acknowledged, readable to the end exactly once per group', async () => {
    const { config, topics } = await setup();
    const publisher = await connectPublisher(kit.kafka);
    expect(publisher.connected()).toBe(true);
    await publisher.send(topics.raw, [
      { key: 'doc-1', value: Buffer.from('{"id":"doc-1","text":"a"}'), headers: { 'era.job': 'job-1' } },
      { key: 'doc-2', value: null, headers: {} },
    ]);
    await publisher.close();
    await publisher.close(); // idempotent
    await expect(publisher.send(topics.raw, [])).rejects.toBeInstanceOf(DependencyError);

    const seen: Array<{ key: string; value: string | null; job?: string }> = [];
    const group = uniqueName('reader');
    const read = await readToEnd(kit.kafka, topics.raw, (m) => void seen.push({ key: m.key!.toString(), value: m.value?.toString() ?? null, ...(m.headers?.['era.job'] ? { job: m.headers['era.job']!.toString() } : {}) }), { groupId: group, commit: true });
    expect(read).toBe(2);
    expect(seen.sort((a, b) => a.key.localeCompare(b.key))).toEqual([{ key: 'doc-1', value: '{"id":"doc-1","text":"a"}', job: 'job-1' }, { key: 'doc-2', value: null }]);
    // The group committed the end: reading again finds nothing new.
    expect(await readToEnd(kit.kafka, topics.raw, () => undefined, { groupId: group, commit: true })).toBe(0);
    expect(config.topicPartitions).toBeGreaterThan(1);
  });

  it('reads to the end of a topic written in transactions (the last offsets are markers and aborted records no reader gets)', async () => {
    const { topics } = await setup();
    const producer = kit.kafka.producer({ transactionalId: uniqueName('txn'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const [i, commit] of [[0, true], [1, true], [2, false]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: topics.dlq, acks: -1, messages: [{ key: `doc-${i}`, value: `v${i}`, partition: 0 }] });
        await (commit ? txn.commit() : txn.abort());
      }
    } finally {
      await producer.disconnect();
    }
    const seen: string[] = [];
    const group = uniqueName('reader');
    expect(await readToEnd(kit.kafka, topics.dlq, (m) => void seen.push(m.key!.toString()), { groupId: group, commit: true, timeoutMs: 20_000 })).toBe(2);
    expect(seen).toEqual(['doc-0', 'doc-1']);
    expect(await readToEnd(kit.kafka, topics.dlq, () => undefined, { groupId: group, commit: true, timeoutMs: 20_000 })).toBe(0);
  });

  it('reads a group\'s position (start, end, commit) and its lag; sets it while the group is empty', async () => {
    const { admin, topics } = await setup();
    const group = uniqueName('g');
    await kit.produce(topics.chunks, Array.from({ length: 9 }, (_, i) => ({ key: `doc-${i}`, value: `v${i}` })));
    const before = await groupPositions(admin, group, topics.chunks);
    expect(before.every((p) => p.committed === undefined && p.low === 0n)).toBe(true);
    expect(before.reduce((n, p) => n + Number(p.high), 0)).toBe(9);
    expect([...(await measureLag(admin, { groupId: group, topic: topics.chunks })).values()].reduce((a, b) => a + b, 0)).toBe(9);

    await setGroupOffsets(admin, group, topics.chunks, before.map((p) => ({ partition: p.partition, offset: p.high })));
    const after = await groupPositions(admin, group, topics.chunks);
    expect(after.map((p) => p.committed)).toEqual(before.map((p) => p.high));
    expect([...(await measureLag(admin, { groupId: group, topic: topics.chunks })).values()].every((l) => l === 0)).toBe(true);
    expect(await groupMembers(admin, group)).toMatchObject({ members: 0 });
  });

  it('replays a stage\'s group to earliest, latest or an offset, and refuses while the group has members', async () => {
    const { config, admin, topics } = await setup();
    await kit.produce(topics.embeddings, Array.from({ length: 6 }, (_, i) => ({ key: `doc-${i}`, value: `v${i}` })));
    const request = { stage: 'minister', groupPrefix: config.groupPrefix, topics: [topics.embeddings] };
    const latest = await replayGroup(kit.kafka, { ...request, target: { kind: 'latest' } });
    expect(latest.groupId).toBe(`${config.groupPrefix}.minister`);
    const ends = await groupPositions(admin, latest.groupId, topics.embeddings);
    expect(ends.every((p) => p.committed === p.high)).toBe(true);
    await replayGroup(kit.kafka, { ...request, target: { kind: 'offset', offset: '1' } });
    expect((await groupPositions(admin, latest.groupId, topics.embeddings)).map((p) => p.committed)).toEqual(ends.map((p) => (p.high < 1n ? p.high : 1n)));
    await replayGroup(kit.kafka, { ...request, target: { kind: 'earliest' } });
    expect((await groupPositions(admin, latest.groupId, topics.embeddings)).every((p) => p.committed === p.low)).toBe(true);

    const consumer = kit.kafka.consumer({ groupId: latest.groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topics.embeddings });
      await consumer.run({ eachMessage: async () => undefined });
      await waitFor(async () => (await groupMembers(admin, latest.groupId)).members === 1, { what: 'the consumer to join' });
      await expect(replayGroup(kit.kafka, { ...request, target: { kind: 'earliest' } })).rejects.toThrow(/1 active member\(s\).*stop the minister stage's services/);
    } finally {
      await consumer.disconnect();
    }
  });
});
