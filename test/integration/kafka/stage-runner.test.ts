import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutcomeSink } from '../../../src/engine/sink-stream.ts';
import type { InputMessage, OutputRecord } from '../../../src/kafka/records.ts';
import type { StageRunner } from '../../../src/kafka/stage-runner.ts';
import { DLQ_HEADERS, HEADERS } from '../../../src/topics/headers.ts';
import { topicNames } from '../../../src/dataflow/topics.ts';
import { fanoutStage, type FanoutInput } from '../../helpers/fanout-stage.ts';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { allTopics, testConfig, testRunner } from '../../helpers/runner.ts';
import { uniqueName } from '../../helpers/names.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const json = (value: FanoutInput | Record<string, unknown>) => ({ key: String(value.id), value: JSON.stringify(value) });

describe('stage runtime on the real broker', () => {
  let kit: KafkaTestKit;
  const runners: StageRunner<unknown, unknown>[] = [];

  beforeEach(() => {
    kit = new KafkaTestKit();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.close()));
    await kit.cleanup();
  });

  const setup = async (partitions = 3, overrides: Record<string, string> = {}) => {
    const config = testConfig(overrides);
    kit.track(...allTopics(config.topicPrefix));
    const input = await kit.topic('in', partitions);
    const output = await kit.topic('out', partitions);
    return { config, input, output, dlq: topicNames(config.topicPrefix).dlq };
  };

  it('commits a fanned-out input only after all 50 outputs are acknowledged', async () => {
    const { config, input, output } = await setup(1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    const runner = testRunner({
      binding: fanoutStage({ input, output }),
      config,
      wrapSink: (sink): OutcomeSink<InputMessage, OutputRecord> => ({ write: async (results) => { writes++; await held; return sink.write(results); } }),
    });
    runners.push(runner as StageRunner<unknown, unknown>);
    await runner.start();
    await kit.produce(input, [json({ id: 'doc-1', n: 50 })]);
    await waitFor(() => writes > 0, { what: 'the sink to receive the outputs' });
    // Held before the producer: five commit rounds run (counted, not slept for), nothing may be committed.
    const committer = (runner as unknown as { committer: { commit(): Promise<unknown> } }).committer;
    const commit = committer.commit.bind(committer);
    let rounds = 0;
    committer.commit = async () => {
      const offsets = await commit();
      rounds++;
      return offsets;
    };
    await waitFor(() => rounds >= 5, { what: 'five commit rounds while the outputs are held' });
    expect((await kit.committed(runner.groupId, input)).get(0)).toBe(-1n);
    expect(await kit.count(output)).toBe(0);
    release();
    await kit.waitForCommittedToEnd(runner.groupId, input);
    const records = await kit.readAll(output, 50);
    expect(records.map((r) => r.value!.toString()).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `doc-1#${i}`).sort());
  });

  it('dead-letters poison with every header, bytes untouched, while good messages flow on', async () => {
    const { config, input, output, dlq } = await setup(1);
    const runner = testRunner({ binding: fanoutStage({ input, output }), config });
    runners.push(runner as StageRunner<unknown, unknown>);
    await runner.start();
    const badBytes = Buffer.from([0x7b, 0xff, 0xfe, 0x00]);
    await kit.produce(input, [
      json({ id: 'a', n: 2 }),
      { key: 'bad-json', value: '{"id": "x", ', headers: { [HEADERS.job]: 'job-9' } },
      json({ id: 'b', n: 2 }),
      { key: Buffer.from([0xc3, 0x28]), value: badBytes },
      { key: 'missing', value: JSON.stringify({ n: 1 }) },
      json({ id: 'c', n: 2 }),
    ]);
    await kit.waitForCommittedToEnd(runner.groupId, input);
    const outputs = await kit.readAll(output, 6);
    expect(outputs.map((r) => r.value!.toString()).sort()).toEqual(['a#0', 'a#1', 'b#0', 'b#1', 'c#0', 'c#1']);
    const dead = await kit.readAll(dlq, 3);
    expect(dead).toHaveLength(3);
    const byOffset = new Map(dead.map((d) => [d.headers[DLQ_HEADERS.originalOffset], d]));
    const badJson = byOffset.get('1')!;
    expect(badJson.value!.toString()).toBe('{"id": "x", ');
    expect(badJson.headers).toMatchObject({
      [DLQ_HEADERS.stage]: 'fanout',
      [DLQ_HEADERS.errorCode]: 'UNDECODABLE',
      [DLQ_HEADERS.originalTopic]: input,
      [DLQ_HEADERS.originalPartition]: '0',
      [DLQ_HEADERS.consumerGroup]: runner.groupId,
      [DLQ_HEADERS.attempts]: '1',
      [HEADERS.job]: 'job-9',
    });
    for (const name of Object.values(DLQ_HEADERS)) expect(badJson.headers[name], name).toBeDefined();
    const undecodable = byOffset.get('3')!;
    expect(Buffer.compare(undecodable.value!, badBytes)).toBe(0);
    expect(Buffer.compare(undecodable.key!, Buffer.from([0xc3, 0x28]))).toBe(0);
    expect(byOffset.get('4')!.headers[DLQ_HEADERS.errorCode]).toBe('INVALID_MESSAGE');
  });

  it('retries a retriable failure without dead-lettering it', async () => {
    const { config, input, output, dlq } = await setup(1);
    const runner = testRunner({ binding: fanoutStage({ input, output }), config });
    runners.push(runner as StageRunner<unknown, unknown>);
    await runner.start();
    await kit.produce(input, [json({ id: 'flaky', n: 3, failTimes: 4 }), json({ id: 'after', n: 1 })]);
    await kit.waitForCommittedToEnd(runner.groupId, input);
    const outputs = await kit.readAll(output, 4);
    expect(outputs.map((r) => r.value!.toString()).sort()).toEqual(['after#0', 'flaky#0', 'flaky#1', 'flaky#2']);
    expect(await kit.count(dlq)).toBe(0);
  });

  it('halts on the DLQ limit instead of draining the input into the DLQ', async () => {
    const { config, input, output, dlq } = await setup(1, { DLQ_MAX_RATIO: '0.5', DLQ_WINDOW: '10' });
    const runner = testRunner({ binding: fanoutStage({ input, output, batchSize: 1 }), config });
    runners.push(runner as StageRunner<unknown, unknown>);
    await runner.start();
    await kit.produce(input, Array.from({ length: 200 }, (_, i) => ({ key: `p${i}`, value: 'not json' })));
    await expect(runner.done).rejects.toMatchObject({ code: 'DLQ_LIMIT_EXCEEDED' });
    expect(runner.live).toBe(false);
    const dead = await kit.count(dlq);
    expect(dead).toBeGreaterThanOrEqual(10);
    expect(dead).toBeLessThan(200);
  });

  it('commits on graceful shutdown: after a restart nothing acknowledged is processed again', async () => {
    const { config, input, output } = await setup(3);
    const firstRun: string[] = [];
    const first = testRunner({ binding: fanoutStage({ input, output, onProcessed: (id) => firstRun.push(id) }), config });
    await first.start();
    await kit.produce(input, Array.from({ length: 300 }, (_, i) => json({ id: `d${i}`, n: 1 })));
    await waitFor(() => firstRun.length >= 300, { what: 'the first run to process every input' });
    await first.close(); // commits on the way out: the interval commit is not waited for
    await first.close(); // idempotent
    const ends = await kit.endOffsets(input);
    expect(await kit.committed(first.groupId, input)).toEqual(ends);

    const secondRun: string[] = [];
    const second = testRunner({ binding: fanoutStage({ input, output, onProcessed: (id) => secondRun.push(id) }), config });
    runners.push(second as StageRunner<unknown, unknown>);
    await second.start();
    await kit.produce(input, [json({ id: 'new', n: 1 })]);
    await waitFor(() => secondRun.includes('new'), { what: 'the new input' });
    expect(secondRun).toEqual(['new']);
  });

  // The read starts at offsets a read_committed consumer never gets, and nothing follows them:
  // the fetch hands on nothing, yet the group must commit the end (lag 0, KEDA scales in).
  it.each([
    { delivery: 'exactly-once', start: 'resuming at a commit marker', abort: false },
    { delivery: 'at-least-once', start: 'resuming at a commit marker', abort: false },
    { delivery: 'exactly-once', start: 'new, on an aborted transaction', abort: true },
    { delivery: 'at-least-once', start: 'new, on an aborted transaction', abort: true },
  ])('$delivery: the group commits past what carries nothing, $start', async ({ delivery, abort }) => {
    const { config, input, output } = await setup(1, { DELIVERY: delivery });
    // An upstream transaction: three records (offsets 0-2) and its marker (offset 3).
    const upstream = kit.kafka.producer({ transactionalId: uniqueName('upstream'), idempotent: true, maxInFlightRequests: 1 });
    await upstream.connect();
    const txn = await upstream.transaction();
    await txn.send({ topic: input, acks: -1, messages: [0, 1, 2].map((i) => json({ id: `d${i}`, n: 1 })) });
    await (abort ? txn.abort() : txn.commit());
    await upstream.disconnect();
    // The coordinator writes the marker just after the commit returns.
    await waitFor(async () => (await kit.endOffsets(input)).get(0) === 4n, { what: 'the marker at offset 3' });
    const processed: string[] = [];
    const runner = testRunner({ binding: fanoutStage({ input, output, onProcessed: (id) => processed.push(id) }), config });
    runners.push(runner as StageRunner<unknown, unknown>);
    // The group's last commit took the three records: a member SIGKILLed right after it (as in test/faults/exactly-once.test.ts).
    if (!abort) await (await kit.adminClient()).setOffsets({ groupId: runner.groupId, topic: input, partitions: [{ partition: 0, offset: '3' }] });
    await runner.start();
    await kit.waitForCommittedToEnd(runner.groupId, input, 30_000);
    expect(processed).toEqual([]);
  });

  it('loses nothing when a second consumer joins mid-run, and leaves no partition paused', async () => {
    const { config, input, output } = await setup(6, { MAX_IN_FLIGHT: '20' });
    const handled = { one: 0, two: 0 };
    const one = testRunner({ binding: fanoutStage({ input, output, batchSize: 4 }), config, onResult: () => handled.one++ });
    const two = testRunner({ binding: fanoutStage({ input, output, batchSize: 4 }), config, onResult: () => handled.two++ });
    runners.push(one as StageRunner<unknown, unknown>, two as StageRunner<unknown, unknown>);
    await one.start();
    await kit.produce(input, Array.from({ length: 600 }, (_, i) => json({ id: `r${i}`, n: 2, delayMs: 2 })));
    await waitFor(async () => (await kit.count(output)) > 100, { what: 'the first consumer to make progress' });
    await two.start();
    await kit.waitForCommittedToEnd(one.groupId, input, 90_000);
    const records = await kit.readAll(output, 1200);
    const values = new Set(records.map((r) => r.value!.toString()));
    for (let i = 0; i < 600; i++) {
      expect(values.has(`r${i}#0`) && values.has(`r${i}#1`), `r${i}`).toBe(true);
    }
    expect(one.ready && two.ready).toBe(true);
    expect(handled.one).toBeGreaterThan(0);
    expect(handled.two).toBeGreaterThan(0);
    // Both members got partitions, and once idle none of them is left paused.
    await waitFor(() => one.inFlight === 0 && two.inFlight === 0, { what: 'idle' });
    // kafkajs's own view, not the runner's: a pause kafkajs kept across the rebalance would stall the partition.
    expect(one.pausedInKafka()).toEqual([]);
    expect(two.pausedInKafka()).toEqual([]);
  });
});
