/**
 * Exact offset tracking (DESIGN.md §2.1), after Redpanda Connect's checkpointer and Arroyo's
 * commit step. Pure bookkeeping: no Kafka client, no clock (the caller says when it tracked).
 *
 * - `track()` registers an input offset when the source hands the message on. Offsets of one
 *   partition are tracked in increasing order.
 * - `complete()` marks it done once every output derived from it is acknowledged (the Kafka
 *   runner calls it when the input's outcome is durable: after the producer's ack of all its
 *   outputs, fan-out included).
 * - `committable()` gives, per owned partition, the offset to commit: one past the highest
 *   contiguous done offset. A gap (an earlier offset still in flight) holds the commit back.
 * - `revoke()` forgets partitions taken away by a rebalance. Tickets issued before the revoke
 *   stay valid objects but completing them changes nothing, so a late ack can never produce a
 *   commit for a partition this member no longer owns.
 */

export interface Ticket {
  readonly topic: string;
  readonly partition: number;
  /** Offset as a bigint string (Kafka offsets are int64). */
  readonly offset: string;
  readonly bytes: number;
}

interface Entry {
  offset: bigint;
  bytes: number;
  done: boolean;
  /** When it was tracked (the caller's clock, ms). */
  at: number;
}

class PartitionState {
  /** In-flight and done-but-not-yet-contiguous entries, in offset order. */
  readonly entries: Entry[] = [];
  head = 0;
  /** Next offset to commit (one past the highest contiguous done offset); undefined until one is done. */
  commitOffset: bigint | undefined;
  /** Highest offset ever tracked, to recognise redeliveries. */
  highest: bigint | undefined;
  /** commitOffset value at the last successful commit. */
  committed: bigint | undefined;
}

interface TicketImpl extends Ticket {
  readonly state: PartitionState;
  readonly entry: Entry;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export interface CommitOffset {
  topic: string;
  partition: number;
  /** The offset to commit: the next one to consume. */
  offset: string;
}

export class OffsetTracker {
  private readonly partitions = new Map<string, PartitionState>();
  private inFlightCount = 0;
  private inFlightBytesTotal = 0;

  /** Messages tracked and not yet completed (across owned partitions). */
  get inFlight(): number {
    return this.inFlightCount;
  }

  get inFlightBytes(): number {
    return this.inFlightBytesTotal;
  }

  /**
   * True when `offset` was already tracked on this partition and not revoked since: a
   * redelivery (kafkajs rewinds retained partitions to the committed offset on every
   * rebalance). The source skips it; the first delivery is still in flight or done.
   */
  isDuplicate(topic: string, partition: number, offset: string): boolean {
    const state = this.partitions.get(keyOf(topic, partition));
    return state?.highest !== undefined && BigInt(offset) <= state.highest;
  }

  track(topic: string, partition: number, offset: string, bytes: number, at = 0): Ticket {
    const key = keyOf(topic, partition);
    let state = this.partitions.get(key);
    if (!state) {
      state = new PartitionState();
      this.partitions.set(key, state);
    }
    const value = BigInt(offset);
    if (state.highest !== undefined && value <= state.highest) {
      throw new RangeError(`offset ${offset} of ${topic}[${partition}] tracked twice or out of order (highest ${state.highest})`);
    }
    state.highest = value;
    const entry: Entry = { offset: value, bytes, done: false, at };
    state.entries.push(entry);
    this.inFlightCount += 1;
    this.inFlightBytesTotal += bytes;
    const ticket: TicketImpl = { topic, partition, offset, bytes, state, entry };
    return ticket;
  }

  /**
   * Records that the partition's offsets up to `offset` carry nothing for this consumer
   * (transaction markers, records of aborted transactions: the broker gives them offsets, a
   * read_committed consumer never sees them), so commits may move past them once everything
   * before is done. Ignored when `offset` is not above the highest offset tracked, and before
   * anything was tracked on the partition (since it was assigned) unless `startAt` said where
   * it is read from: what comes before it is unknown then.
   */
  skip(topic: string, partition: number, offset: string): void {
    const highest = this.partitions.get(keyOf(topic, partition))?.highest;
    if (highest === undefined || BigInt(offset) <= highest) return;
    this.complete(this.track(topic, partition, offset, 0));
  }

  /** Whether anything was tracked on the partition (or `startAt` set) since it was assigned. */
  knows(topic: string, partition: number): boolean {
    return this.partitions.has(keyOf(topic, partition));
  }

  /**
   * The partition is read from `offset`, which the group has committed (everything before it is
   * settled): a `skip` may follow at once. Ignored once the partition is known (`knows`).
   */
  startAt(topic: string, partition: number, offset: bigint): void {
    const key = keyOf(topic, partition);
    if (this.partitions.has(key)) return;
    const state = new PartitionState();
    state.highest = offset - 1n;
    state.commitOffset = offset;
    state.committed = offset;
    this.partitions.set(key, state);
  }

  /** False once the ticket's partition was revoked after it was tracked (its work counts for nothing). */
  isLive(ticket: Ticket): boolean {
    return this.partitions.get(keyOf(ticket.topic, ticket.partition)) === (ticket as TicketImpl).state;
  }

  /** Marks the ticket's input done. Idempotent; a no-op for revoked partitions. */
  complete(ticket: Ticket): void {
    const { state, entry } = ticket as TicketImpl;
    if (entry.done) return;
    entry.done = true;
    if (this.partitions.get(keyOf(ticket.topic, ticket.partition)) !== state) return; // revoked
    this.inFlightCount -= 1;
    this.inFlightBytesTotal -= entry.bytes;
    while (state.head < state.entries.length && state.entries[state.head]!.done) {
      state.commitOffset = state.entries[state.head]!.offset + 1n;
      state.head += 1;
    }
    if (state.head > 1024 && state.head * 2 > state.entries.length) {
      state.entries.splice(0, state.head);
      state.head = 0;
    }
  }

  /** Offsets that advanced since the last `markCommitted`, for owned partitions only. */
  committable(): CommitOffset[] {
    const out: CommitOffset[] = [];
    for (const [key, state] of this.partitions) {
      if (state.commitOffset === undefined || state.commitOffset === state.committed) continue;
      const [topic, partition] = key.split('\u0000') as [string, string];
      out.push({ topic, partition: Number(partition), offset: state.commitOffset.toString() });
    }
    return out;
  }

  /** Records a successful commit of these offsets (ignored for partitions revoked meanwhile). */
  markCommitted(offsets: readonly CommitOffset[]): void {
    for (const { topic, partition, offset } of offsets) {
      const state = this.partitions.get(keyOf(topic, partition));
      if (state) state.committed = BigInt(offset);
    }
  }

  /** Forgets the given partitions: their in-flight work no longer counts and is never committed. */
  revoke(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const { topic, partition } of partitions) {
      const key = keyOf(topic, partition);
      const state = this.partitions.get(key);
      if (!state) continue;
      for (let i = state.head; i < state.entries.length; i++) {
        const entry = state.entries[i]!;
        if (!entry.done) {
          this.inFlightCount -= 1;
          this.inFlightBytesTotal -= entry.bytes;
        }
      }
      this.partitions.delete(key);
    }
  }

  /** The input in flight the longest (owned partitions), with when it was tracked; undefined when none is. */
  oldestInFlight(): (CommitOffset & { at: number }) | undefined {
    let oldest: (CommitOffset & { at: number }) | undefined;
    for (const [key, state] of this.partitions) {
      const entry = state.entries.slice(state.head).find((e) => !e.done);
      if (!entry || (oldest && oldest.at <= entry.at)) continue;
      const [topic, partition] = key.split('\u0000') as [string, string];
      oldest = { topic, partition: Number(partition), offset: entry.offset.toString(), at: entry.at };
    }
    return oldest;
  }

  /** Partitions with tracked state. */
  owned(): Array<{ topic: string; partition: number }> {
    return [...this.partitions.keys()].map((key) => {
      const [topic, partition] = key.split('\u0000') as [string, string];
      return { topic, partition: Number(partition) };
    });
  }
}
