/**
 * Where a partition's read starts, when a fetch hands on nothing there: the broker gives
 * transaction markers and records of aborted transactions offsets, a read_committed consumer
 * never gets them, and kafkajs moves past such a fetch without a batch to process. When nothing
 * was tracked on the partition yet (its read starts on them: a member restarted right after its
 * last commit, a new group on a topic that begins with an aborted transaction), the tracker
 * cannot skip them on its own — it does not know what comes before.
 *
 * Contract of `skipFrom(topic, partition, first, last, current)`, for such a fetch of offsets
 * `first`..`last`:
 * - asks `readFrom` where the group reads the partition (`askWhile`: until it answers, while
 *   `current()` holds — no group join, crash or stop since the fetch);
 * - the fetch began at or before `first`: when the group reads from `first` or later,
 *   everything from there to `last` carries nothing, so the tracker starts the partition there
 *   and skips to `last`. A read from before `first` may mean a stale fetch beyond records still
 *   unprocessed, and a read past `last` was committed already: left alone;
 * - one question per partition at a time: more such fetches while it is out extend it to their
 *   `last` (kafkajs fetches a partition from where the previous batch ended);
 * - once something was tracked on the partition meanwhile, the tracker's own skip applies.
 */
import { askWhile } from '../engine/backoff.ts';
import type { OffsetTracker } from '../engine/offset-tracker.ts';

export class ReadStarts {
  /** Partitions being asked about, with the last offset to skip. */
  private readonly asking = new Map<string, { last: bigint }>();

  constructor(
    private readonly tracker: OffsetTracker,
    private readonly readFrom: (topic: string, partition: number) => Promise<bigint>,
  ) {}

  async skipFrom(topic: string, partition: number, first: bigint, last: bigint, current: () => boolean): Promise<void> {
    const key = `${topic}:${partition}`;
    const asking = this.asking.get(key);
    if (asking) {
      if (last > asking.last) asking.last = last;
      return;
    }
    const range = { last };
    this.asking.set(key, range);
    let from: bigint | undefined;
    try {
      from = await askWhile(() => this.readFrom(topic, partition), current);
    } finally {
      this.asking.delete(key);
    }
    if (from === undefined || !current()) return;
    if (!this.tracker.knows(topic, partition)) {
      if (from < first || from > range.last) return;
      this.tracker.startAt(topic, partition, from);
    }
    this.tracker.skip(topic, partition, range.last.toString());
  }
}
