/**
 * The exactly-once sink (src/kafka/transactional-sink.ts) on the real broker, in the races a
 * rebalance makes: two members of one group holding the same input partition one after the
 * other, each with its own tracker, as a zombie and its successor do. A read_committed reader of
 * the output topic must see each input's output once, and the group's committed offset must
 * move only forward. A transaction's offset is visible to an offset fetch once the broker wrote
 * its markers, shortly after the commit returned: the checks wait for it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { OffsetTracker } from '../../../src/engine/offset-tracker.ts';
import type { RecordOutcome } from '../../../src/kafka/records.ts';
import { TransactionalSink } from '../../../src/kafka/transactional-sink.ts';
import { retry } from '../../../src/engine/backoff.ts';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { uniqueName } from '../../helpers/names.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** What the runner does with a retriable failure of the sink (the broker still completing a transaction): retry. */
const retried = <T>(fn: () => Promise<T>): Promise<T> => retry(fn, { initialMs: 50, maxMs: 500, factor: 2, maxAttempts: 20, deadlineMs: 15_000 }).then((r) => r.value);

describe('the exactly-once sink on the real broker', () => {
  let kit: KafkaTestKit;
  const sinks: TransactionalSink[] = [];
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
    await kit.cleanup();
  });

  const setup = async () => {
    kit = new KafkaTestKit();
    const input = await kit.topic('eos-in', 1);
    const output = await kit.topic('eos-out', 1);
    const dlq = await kit.topic('eos-dlq', 1);
    const groupId = uniqueName('eos-group');
    const admin: Admin = await kit.adminClient();
    /** A member: its own tracker and sink, and outcomes for input offsets it "consumed". */
    const member = () => {
      const tracker = new OffsetTracker();
      const sink = new TransactionalSink({ kafka: kit.kafka, admin: () => admin, groupId, tracker, dlq: { stage: 'test', group: groupId, dlqTopic: dlq } });
      sinks.push(sink);
      const outcomes = (from: number, to: number): RecordOutcome[] => Array.from({ length: to - from + 1 }, (_, i) => {
        const offset = String(from + i);
        return {
          input: { topic: input, partition: 0, offset, key: null, value: null, headers: {}, timestamp: '0', ticket: tracker.track(input, 0, offset, 1) },
          outputs: [{ topic: output, key: `doc-${offset}`, value: Buffer.from(`out-${offset}`), headers: {} }],
        };
      });
      return { tracker, sink, outcomes };
    };
    const committed = async (): Promise<bigint> => BigInt((await kit.committed(groupId, input)).get(0) ?? -1n);
    const committedReaches = (offset: bigint): Promise<unknown> => waitFor(async () => (await committed()) === offset, { timeoutMs: 15_000, what: `the group's committed offset to reach ${offset}` });
    const outputs = async (): Promise<string[]> => (await kit.readToEnd(output)).map((r) => r.value!.toString());
    return { input, member, committed, committedReaches, outputs };
  };

  it('a zombie whose transaction was fenced writes nothing its successor committed, and the successor goes on after the zombie fenced it back', async () => {
    const { input, member, committed, committedReaches, outputs } = await setup();
    const zombie = member();
    const successor = member();
    expect(await zombie.sink.claim([{ topic: input, partition: 0 }])).toEqual([]);
    const zombieFirst = zombie.outcomes(0, 4);
    // The group gave the partition to the successor: its claim fences the zombie.
    expect(await successor.sink.claim([{ topic: input, partition: 0 }])).toEqual([]);
    await expect(zombie.sink.write(zombieFirst)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringContaining('fenced') });

    expect((await successor.sink.write(successor.outcomes(0, 9))).size).toBe(0);
    await committedReaches(10n);
    // The zombie retries (it has not heard of the rebalance yet): it reconciles — fencing the
    // successor — finds offset 10 committed, and writes none of 0..9 again.
    expect((await zombie.sink.write(zombieFirst)).size).toBe(0);
    expect((await zombie.sink.write(zombie.outcomes(5, 9))).size).toBe(0);
    expect(await committed()).toBe(10n);

    // The successor's next transaction is fenced by that reconcile; its retry reconciles back.
    const next = successor.outcomes(10, 14);
    await expect(successor.sink.write(next)).rejects.toMatchObject({ message: expect.stringContaining('fenced') });
    expect((await retried(() => successor.sink.write(next))).size).toBe(0);
    await committedReaches(15n);
    expect(await outputs()).toEqual(Array.from({ length: 15 }, (_, i) => `out-${i}`));

    // Once the zombie learns of the rebalance (its partition revoked), its work is dropped, not written.
    const late = zombie.outcomes(15, 16);
    zombie.tracker.revoke([{ topic: input, partition: 0 }]);
    expect((await zombie.sink.write(late)).size).toBe(2);
    expect(await committed()).toBe(15n);
  });

  it('moves the committed offset past records that carry nothing, never backwards, and claims from it', async () => {
    const { input, member, committed, committedReaches } = await setup();
    const owner = member();
    await owner.sink.claim([{ topic: input, partition: 0 }]);
    await retried(() => owner.sink.write(owner.outcomes(0, 2)));
    await retried(() => owner.sink.advance([{ topic: input, partition: 0, offset: '5' }]));
    await committedReaches(5n);
    await retried(() => owner.sink.advance([{ topic: input, partition: 0, offset: '4' }]));
    expect(await committed()).toBe(5n);
    const next = member();
    expect(await next.sink.claim([{ topic: input, partition: 0 }])).toEqual([{ topic: input, partition: 0, offset: '5' }]);
    // The previous owner's producer is fenced: its offsets-only transaction fails and is retried by its committer.
    await expect(owner.sink.advance([{ topic: input, partition: 0, offset: '7' }])).rejects.toMatchObject({ message: expect.stringContaining('fenced') });
  });
});
