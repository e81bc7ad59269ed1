import { describe, expect, it } from 'vitest';
import { OffsetCommitter } from '../../../src/engine/offset-committer.ts';
import { OffsetTracker, type CommitOffset } from '../../../src/engine/offset-tracker.ts';

/** A commit function whose calls stay pending until the test releases them. */
function controllableCommit() {
  const calls: CommitOffset[][] = [];
  const releases: Array<() => void> = [];
  const fn = (offsets: CommitOffset[]): Promise<void> => {
    calls.push(offsets);
    return new Promise((resolve) => releases.push(resolve));
  };
  return { calls, releases, fn };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('offset committer', () => {
  const assignment = [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }];

  it('control: without a revoke, offsets completed during a commit are committed next', async () => {
    const tracker = new OffsetTracker();
    const commit = controllableCommit();
    const committer = new OffsetCommitter(tracker, commit.fn);
    await committer.assign(assignment);
    tracker.complete(tracker.track('t', 0, '0', 1));
    const late = tracker.track('t', 0, '1', 1);
    const first = committer.commit();
    await flush();
    tracker.complete(late); // completes while the first commit is in flight
    commit.releases[0]!();
    await first;
    const second = committer.commit();
    await flush();
    commit.releases[1]!();
    await second;
    expect(commit.calls).toEqual([[{ topic: 't', partition: 0, offset: '1' }], [{ topic: 't', partition: 0, offset: '2' }]]);
  });

  it('never commits a partition revoked while a commit was in flight', async () => {
    const tracker = new OffsetTracker();
    const commit = controllableCommit();
    const committer = new OffsetCommitter(tracker, commit.fn);
    await committer.assign(assignment);
    tracker.complete(tracker.track('t', 0, '0', 1));
    const late = tracker.track('t', 0, '1', 1);
    tracker.complete(tracker.track('t', 1, '0', 1));
    const first = committer.commit();
    await flush();
    // A rebalance starts while the commit is in flight, and partition 0 goes elsewhere.
    const started = committer.rebalanceStarted();
    const assigned = committer.assign([{ topic: 't', partition: 1 }]);
    tracker.complete(late); // the in-flight work of the lost partition finishes late
    // Commits during the rebalance are held back until the assignment is known.
    commit.releases[0]!();
    await first;
    await started;
    expect(await assigned).toEqual([{ topic: 't', partition: 0 }]);
    tracker.complete(tracker.track('t', 1, '1', 1));
    const second = committer.commit();
    await flush();
    commit.releases[1]?.();
    await second;
    expect(commit.calls[0]).toEqual([{ topic: 't', partition: 0, offset: '1' }, { topic: 't', partition: 1, offset: '1' }]);
    expect(commit.calls[1]).toEqual([{ topic: 't', partition: 1, offset: '2' }]);
    expect(commit.calls.flat().filter((o) => o.partition === 0 && o.offset === '2')).toEqual([]);
  });

  it('sends nothing while a rebalance is under way', async () => {
    const tracker = new OffsetTracker();
    const commit = controllableCommit();
    const committer = new OffsetCommitter(tracker, commit.fn);
    await committer.assign(assignment);
    await committer.rebalanceStarted();
    tracker.complete(tracker.track('t', 1, '0', 1));
    expect(await committer.commit()).toEqual([]);
    expect(commit.calls).toEqual([]);
  });

  it('keeps offsets committable when the broker refuses a commit', async () => {
    const tracker = new OffsetTracker();
    let fail = true;
    const committed: CommitOffset[][] = [];
    const committer = new OffsetCommitter(tracker, async (offsets) => {
      if (fail) throw new Error('REBALANCE_IN_PROGRESS');
      committed.push(offsets);
    });
    await committer.assign(assignment);
    tracker.complete(tracker.track('t', 0, '0', 1));
    await expect(committer.commit()).rejects.toThrow('REBALANCE_IN_PROGRESS');
    fail = false;
    await committer.commit();
    expect(committed).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
  });

  it('never commits an offset below one this member already committed for the partition (kafkajs restart)', async () => {
    const tracker = new OffsetTracker();
    const calls: CommitOffset[][] = [];
    const committer = new OffsetCommitter(tracker, async (offsets) => void calls.push(offsets));
    await committer.assign(assignment);
    for (let i = 0; i < 10; i++) tracker.complete(tracker.track('t', 0, String(i), 1));
    await committer.commit(); // 10
    // kafkajs crashes and restarts: everything in flight is forgotten and the partition's
    // records come again from an older position (the broker had not seen the last commit yet).
    await committer.rebalanceStarted();
    await committer.assign([]);
    await committer.assign(assignment);
    for (let i = 6; i < 8; i++) tracker.complete(tracker.track('t', 0, String(i), 1));
    expect(await committer.commit()).toEqual([]); // 8 < 10: not sent
    for (let i = 8; i < 12; i++) tracker.complete(tracker.track('t', 0, String(i), 1));
    await committer.commit(); // 12: forward again
    // An offset committed elsewhere for this member (a transaction) is a floor too.
    committer.committedElsewhere('t', 1, '50');
    for (let i = 0; i < 5; i++) tracker.complete(tracker.track('t', 1, String(i), 1));
    expect(await committer.commit()).toEqual([]);
    expect(calls).toEqual([[{ topic: 't', partition: 0, offset: '10' }], [{ topic: 't', partition: 0, offset: '12' }]]);
  });
});

