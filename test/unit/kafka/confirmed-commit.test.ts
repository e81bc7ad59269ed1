/**
 * kafkajs resolves `consumer.commitOffsets` without sending anything while its consumer is
 * restarting (runner.js: "consumer not running, exiting"). A commit is only as good as the
 * broker's answer: src/kafka/confirmed-commit.ts waits for kafkajs' commit event and fails
 * otherwise, so the committer keeps the offsets and sends them again once the member rejoined.
 */
import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { confirmedCommit } from '../../../src/kafka/confirmed-commit.ts';
import { OffsetCommitter } from '../../../src/engine/offset-committer.ts';
import { OffsetTracker } from '../../../src/engine/offset-tracker.ts';

/** The part of a kafkajs consumer a commit uses; `running` says whether it really commits. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const sent: Array<Array<{ topic: string; partition: number; offset: string }>> = [];
  const state = { running: true };
  const consumer = {
    events: { COMMIT_OFFSETS: 'consumer.commit_offsets' },
    on: (event: string, listener: (e: unknown) => void) => {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
    commitOffsets: async (offsets: Array<{ topic: string; partition: number; offset: string }>) => {
      if (!state.running) return; // what kafkajs does between a crash and its restart
      sent.push(offsets);
      emitter.emit('consumer.commit_offsets', { type: 'consumer.commit_offsets', payload: { topics: [] } });
    },
  };
  return { consumer: consumer as unknown as Consumer, sent, state };
}

describe('a commit confirmed by the broker', () => {
  it('keeps offsets kafkajs dropped while restarting, and commits them once it runs again', async () => {
    const { consumer, sent, state } = fakeConsumer();
    const tracker = new OffsetTracker();
    const committer = new OffsetCommitter(tracker, confirmedCommit(consumer));
    await committer.assign([{ topic: 't', partition: 0 }]);
    tracker.complete(tracker.track('t', 0, '0', 1));
    state.running = false;
    await expect(committer.commit()).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(sent).toEqual([]);
    state.running = true;
    expect(await committer.commit()).toEqual([{ topic: 't', partition: 0, offset: '1' }]);
    expect(sent).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
  });
});
