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
 *
 * A commit never goes backwards: an offset below (or at) the highest this member has committed
 * for the partition — by this committer, or elsewhere (a transaction: `committedElsewhere`) — is
 * not sent. After a kafkajs restart the tracker starts again from the broker's position, which
 * may be older than what this member last committed; committing that would hand the records in
 * between to the next owner a second time.
 */
export class OffsetCommitter {
  private lock: Promise<unknown> = Promise.resolve();
  private rebalancing = false;
  private assigned = new Set<string>();
  /** Highest offset committed per partition by this member, for its lifetime. */
  private readonly floor = new Map<string, bigint>();

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
      const owned = this.tracker.committable().filter((o) => this.assigned.has(`${o.topic}:${o.partition}`));
      const behind = owned.filter((o) => BigInt(o.offset) <= (this.floor.get(`${o.topic}:${o.partition}`) ?? -1n));
      this.tracker.markCommitted(behind); // already covered: stop offering them
      const offsets = owned.filter((o) => !behind.includes(o));
      if (offsets.length === 0) return [];
      await this.commitFn(offsets);
      this.tracker.markCommitted(offsets);
      for (const o of offsets) this.floor.set(`${o.topic}:${o.partition}`, BigInt(o.offset));
      return offsets;
    });
  }

  /** Records an offset this member committed for a partition another way (a Kafka transaction). */
  committedElsewhere(topic: string, partition: number, offset: string): void {
    const key = `${topic}:${partition}`;
    const value = BigInt(offset);
    if (value > (this.floor.get(key) ?? -1n)) this.floor.set(key, value);
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
