/**
 * The source's answer to a fetch of nothing (transaction markers, aborted records) on a
 * partition nothing was tracked on (src/kafka/read-start.ts, from src/kafka/source.ts): the
 * races around its question to the broker, driven through a stand-in for the kafkajs
 * consumer's events. The real
 * broker's cases are in test/integration/kafka/stage-runner.test.ts ("commits past what carries
 * nothing"); a stand-in here because the order of kafkajs events against the broker's answer
 * cannot be chosen there.
 */
import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { OffsetCommitter } from '../../../src/engine/offset-committer.ts';
import { OffsetTracker } from '../../../src/engine/offset-tracker.ts';
import { KafkaSource } from '../../../src/kafka/source.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const EVENTS = { REBALANCING: 'rebalancing', GROUP_JOIN: 'group_join', END_BATCH_PROCESS: 'end_batch_process', CRASH: 'crash' };

/** The kafkajs consumer surface the source uses; `emit` plays kafkajs' instrumentation events. */
function standInConsumer() {
  const emitter = new EventEmitter();
  const consumer = {
    events: EVENTS,
    on: (event: string, listener: (e: unknown) => void) => {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
    subscribe: async () => undefined,
    run: async () => undefined,
    connect: async () => undefined,
    paused: () => [],
    pause: () => undefined,
    resume: () => undefined,
    seek: () => undefined,
  };
  return { consumer: consumer as unknown as Consumer, emit: (event: string, payload: unknown) => emitter.emit(event, { payload }) };
}

/** A question to the broker that the test answers. */
function heldAnswers() {
  const asked: Array<{ answer: (offset: bigint) => void; fail: (error: Error) => void }> = [];
  const readFrom = (): Promise<bigint> => new Promise((answer, fail) => asked.push({ answer, fail }));
  return { asked, readFrom };
}

/** Lets the source's promise chain after an answer run to its end (microtasks only, no timer in it). */
const answerTaken = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function started(readFrom: () => Promise<bigint>) {
  const tracker = new OffsetTracker();
  const { consumer, emit } = standInConsumer();
  const source = new KafkaSource({ consumer, topics: ['t'], tracker, committer: new OffsetCommitter(tracker, async () => undefined), readFrom });
  await source.start();
  emit(EVENTS.GROUP_JOIN, { memberAssignment: { t: [0] } });
  const nothing = (first: number, last: number) => emit(EVENTS.END_BATCH_PROCESS, { topic: 't', partition: 0, batchSize: 0, firstOffset: String(first), lastOffset: String(last) });
  return { tracker, source, emit, nothing };
}

describe('a fetch of nothing where the read starts', () => {
  it('commits past it from where the group reads, and past a second one that came while it asked', async () => {
    const { asked, readFrom } = heldAnswers();
    const { tracker, nothing } = await started(readFrom);
    nothing(3, 900); // a large aborted transaction, fetched in two parts
    nothing(901, 1500);
    expect(asked).toHaveLength(1); // one question for both
    asked[0]!.answer(3n);
    await waitFor(() => tracker.committable().length > 0, { what: 'an offset to commit' });
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '1501' }]);
  });

  it('leaves alone a fetch that began past where the group reads (records before it unprocessed), and one the group committed past', async () => {
    const { asked, readFrom } = heldAnswers();
    const { tracker, nothing } = await started(readFrom);
    nothing(10, 12);
    asked[0]!.answer(7n); // 7-9 may be records nobody processed
    await answerTaken();
    expect(tracker.knows('t', 0)).toBe(false);
    nothing(20, 22);
    expect(asked).toHaveLength(2); // the first question is over
    asked[1]!.answer(30n);
    await answerTaken();
    expect(tracker.knows('t', 0)).toBe(false);
    expect(tracker.committable()).toEqual([]);
    // The control: an answer it takes is taken by the same wait.
    nothing(50, 52);
    asked[2]!.answer(50n);
    await answerTaken();
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '53' }]);
  });

  it('asks again until the broker answers, and drops the answer when the consumer crashed meanwhile', async () => {
    const { asked, readFrom } = heldAnswers();
    const { tracker, emit, nothing, source } = await started(readFrom);
    nothing(3, 3);
    asked[0]!.fail(new Error('coordinator not available'));
    await waitFor(() => asked.length === 2, { timeoutMs: 5_000, what: 'the question asked again' });
    emit(EVENTS.CRASH, { error: new Error('gone'), restart: false }); // the source rejoins: another group generation
    await answerTaken(); // it forgot its partitions and waits to reconnect
    asked[1]!.answer(3n);
    await answerTaken();
    expect(tracker.knows('t', 0)).toBe(false);
    source.stopFetching();
  });
});
