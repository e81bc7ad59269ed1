import type { CommitOffset, OffsetTracker } from './offset-tracker.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export type CommitFn = (offsets: CommitOffset[]) => Promise<void>;

/**
 * Commits the tracker's completed offsets, and never for a partition this member lost.
 *
 * Commit and revoke share one lock (as Redpanda Connect's kafka input does): a commit that is
 * running when a rebalance starts finishes first (it was sent while we still owned its
 * partitions); from the rebalance start until the new assignment is known no commit is sent;
 * the new assignment revokes lost partitions from the tracker before commits resume. Offsets
 * are filtered by the current assignment as a second guard.
 */
export class OffsetCommitter {
  private lock: Promise<unknown> = Promise.resolve();
  private rebalancing = false;
  private assigned = new Set<string>();

  constructor(
    private readonly tracker: OffsetTracker,
    private readonly commitFn: CommitFn,
  ) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Commits what is committable now. Resolves with the offsets committed (empty when nothing
   * advanced or a rebalance is under way). Rejects when the broker refuses the commit; the
   * offsets stay committable and the next call retries them.
   */
  commit(): Promise<CommitOffset[]> {
    return this.exclusive(async () => {
      if (this.rebalancing) return [];
      const offsets = this.tracker.committable().filter((o) => this.assigned.has(`${o.topic}:${o.partition}`));
      if (offsets.length === 0) return [];
      await this.commitFn(offsets);
      this.tracker.markCommitted(offsets);
      return offsets;
    });
  }

  /** A rebalance started: waits for a running commit, then holds commits back. */
  rebalanceStarted(): Promise<void> {
    return this.exclusive(async () => {
      this.rebalancing = true;
    });
  }

  /**
   * The group (re)joined with this assignment: forgets revoked partitions, resumes commits.
   * Returns the revoked partitions.
   */
  assign(assignment: readonly TopicPartition[]): Promise<TopicPartition[]> {
    return this.exclusive(async () => {
      this.assigned = new Set(assignment.map((tp) => `${tp.topic}:${tp.partition}`));
      const revoked = this.tracker.owned().filter((tp) => !this.assigned.has(`${tp.topic}:${tp.partition}`));
      this.tracker.revoke(revoked);
      this.rebalancing = false;
      return revoked;
    });
  }

  /** Current assignment, as known from the last group join. */
  assignment(): TopicPartition[] {
    return [...this.assigned].map((key) => {
      const i = key.lastIndexOf(':');
      return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
    });
  }
}
