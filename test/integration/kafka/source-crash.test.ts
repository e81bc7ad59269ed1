/**
 * The Kafka source across a kafkajs consumer crash: kafkajs drops its consumer group on a crash
 * and builds a new one on restart, and `consumer.pause()` / `resume()` throw while there is
 * none. The source must not throw from there (its callers are a stream's `_read`, a timer and
 * the sink's durable callback), must put the pause state it wants back on the new group, and
 * must hand every record on exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { OffsetCommitter } from '../../../src/engine/offset-committer.ts';
import { OffsetTracker } from '../../../src/engine/offset-tracker.ts';
import type { InputMessage } from '../../../src/kafka/records.ts';
import { KafkaSource } from '../../../src/kafka/source.ts';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { uniqueName } from '../../helpers/names.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** An error kafkajs retries (once, see `retry` below), then crashes the consumer on and restarts it. */
class FlakyBroker extends Error {
  readonly retriable = true;
}
/** The consumer retries a failing batch once, then crashes and restarts after 100 ms. */
const RETRY = { initialRetryTime: 100, retries: 1 };
/** More failures in a row than the consumer retries: a crash. */
const FAILURES = 3;

describe('the Kafka source when kafkajs crashes and restarts its consumer', () => {
  let kit: KafkaTestKit;
  let consumer: Consumer | undefined;
  afterEach(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await kit.cleanup();
  });

  it('does not throw while the group is gone, and hands every record on once after the restart', async () => {
    kit = new KafkaTestKit();
    const topic = await kit.topic('crash', 2);
    consumer = kit.kafka.consumer({ groupId: uniqueName('crash'), maxWaitTimeInMs: 100, retry: RETRY });
    await consumer.connect();
    const tracker = new OffsetTracker();
    const committer = new OffsetCommitter(tracker, (offsets) => consumer!.commitOffsets(offsets));
    let failPartition1 = 0;
    let crashes = 0;
    const source = new KafkaSource({
      consumer,
      topics: [topic],
      tracker,
      committer,
      highWaterMark: 4,
      admit: (_topic, partition) => {
        if (failPartition1 > 0 && partition === 1) {
          failPartition1 -= 1;
          throw new FlakyBroker('injected retriable failure');
        }
        return true;
      },
    });
    const thrown: unknown[] = [];
    const seen: InputMessage[] = [];
    const take = (m: InputMessage): void => {
      seen.push(m);
      tracker.complete(m.ticket);
    };
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) return;
      crashes += 1;
      // The consumer group is gone now. The pipeline reads on (the stream's _read resumes the
      // paused partition) and the sink's durable callback asks to resume: neither may throw.
      try {
        for (let m = source.read() as InputMessage | null; m !== null; m = source.read() as InputMessage | null) take(m);
        source.maybeResume();
      } catch (error) {
        thrown.push(error);
      }
    });
    await source.start();
    // Nothing is read yet: partition 0 fills the stream's buffer and is paused.
    await kit.produce(topic, Array.from({ length: 40 }, (_, i) => ({ key: `a-${i}`, value: `p0-${i}`, partition: 0 })));
    await waitFor(() => source.pausedCount === 1, { what: 'partition 0 to be paused by backpressure' });
    expect(consumer.paused()).toEqual([{ topic, partitions: [0] }]);

    // Batches of partition 1 fail until the consumer crashes (kafkajs restarts it after 100 ms).
    failPartition1 = FAILURES;
    await kit.produce(topic, Array.from({ length: 40 }, (_, i) => ({ key: `b-${i}`, value: `p1-${i}`, partition: 1 })));
    await waitFor(() => crashes === 1, { what: 'the injected consumer crash' });
    expect(thrown).toEqual([]);
    expect(source.destroyed).toBe(false);

    // Read on: the new group fetches again, every record arrives once.
    source.on('data', take);
    await waitFor(() => seen.length >= 80, { timeoutMs: 30_000, what: `80 records (have ${seen.length})` });
    expect(new Set(seen.map((m) => `${m.partition}:${m.offset}`)).size).toBe(80);
    expect(seen.map((m) => m.value!.toString()).sort()).toEqual([...Array.from({ length: 40 }, (_, i) => `p0-${i}`), ...Array.from({ length: 40 }, (_, i) => `p1-${i}`)].sort());
    expect(consumer.paused()).toEqual([]);
    expect(thrown).toEqual([]);
    source.stopFetching();
    source.detach();
  });

  it('stops fetching cleanly while the group is gone (shutdown during a restart)', async () => {
    kit = new KafkaTestKit();
    const topic = await kit.topic('crash-stop', 1);
    consumer = kit.kafka.consumer({ groupId: uniqueName('crash-stop'), maxWaitTimeInMs: 100, retry: RETRY });
    await consumer.connect();
    const tracker = new OffsetTracker();
    const committer = new OffsetCommitter(tracker, (offsets) => consumer!.commitOffsets(offsets));
    let failures = FAILURES;
    const source = new KafkaSource({
      consumer, topics: [topic], tracker, committer,
      admit: () => {
        if (failures === 0) return true;
        failures -= 1;
        throw new FlakyBroker('injected retriable failure');
      },
    });
    const outcome: unknown[] = [];
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) return;
      try {
        source.stopFetching();
        outcome.push('stopped');
      } catch (error) {
        outcome.push(error);
      }
    });
    const ended = new Promise<void>((resolve) => source.on('end', resolve));
    source.resume();
    await source.start();
    await kit.produce(topic, [{ key: 'a', value: 'x' }]);
    await waitFor(() => outcome.length === 1, { what: 'the injected crash' });
    expect(outcome).toEqual(['stopped']);
    await ended;
    source.detach();
  });
});

describe('the Kafka source re-applies the pauses it wants on the group kafkajs builds after a restart', () => {
  let kit: KafkaTestKit;
  let consumer: Consumer | undefined;
  afterEach(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await kit.cleanup();
  });

  it('keeps a partition paused across the restart while its records wait in the buffer', async () => {
    kit = new KafkaTestKit();
    const topic = await kit.topic('crash-pause', 2);
    consumer = kit.kafka.consumer({ groupId: uniqueName('crash-pause'), maxWaitTimeInMs: 100, retry: RETRY });
    await consumer.connect();
    const tracker = new OffsetTracker();
    const committer = new OffsetCommitter(tracker, (offsets) => consumer!.commitOffsets(offsets));
    let failPartition1 = 0;
    const fetchedAfterRestart: number[] = [];
    let restarted = false;
    const source = new KafkaSource({
      consumer, topics: [topic], tracker, committer, highWaterMark: 4,
      admit: (_topic, partition) => {
        if (restarted && partition === 0) fetchedAfterRestart.push(partition);
        if (failPartition1 > 0 && partition === 1) {
          failPartition1 -= 1;
          throw new FlakyBroker('injected retriable failure');
        }
        return true;
      },
    });
    let joins = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joins += 1;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) restarted = true;
    });
    await source.start();
    await kit.produce(topic, Array.from({ length: 40 }, (_, i) => ({ key: `a-${i}`, value: `p0-${i}`, partition: 0 })));
    await waitFor(() => source.pausedCount === 1, { what: 'partition 0 to be paused by backpressure' });
    failPartition1 = FAILURES;
    await kit.produce(topic, [{ key: 'b', value: 'p1', partition: 1 }]);
    await waitFor(() => restarted && joins >= 2, { timeoutMs: 30_000, what: 'the crash and the new group join' });
    // The new group has partition 0 paused from its join on: it is not fetched (it would only
    // be fetched to be refused and paused again), and kafkajs says so itself.
    expect(consumer.paused()).toEqual([{ topic, partitions: [0] }]);
    expect(fetchedAfterRestart).toEqual([]);
    source.stopFetching();
    source.detach();
  });
});
