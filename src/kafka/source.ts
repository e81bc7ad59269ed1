/**
 * A kafkajs consumer exposed as an object-mode Readable of InputMessage.
 *
 * Contracts (DESIGN.md §2, §5):
 * - autoCommit is off; offsets are committed by the OffsetCommitter from the OffsetTracker.
 * - Backpressure: before handing on a message the source asks `admit()` (in-flight limits,
 *   token bucket); when it says no, or `push()` returns false (the stream buffer is full), the
 *   partition is paused and the batch handler returns at once: a kafkajs fetcher waits for
 *   the handler, so a blocked handler would stall every partition on that broker. Offsets not
 *   handed on are not resolved, so kafkajs fetches them again after `resume`.
 * - Paused partitions are resumed when the consumer reads again (`_read`) and `admit()` allows.
 * - kafkajs keeps pause state across rebalances and rewinds retained partitions to the last
 *   commit: on every group join the paused set is rebuilt from this source's own view, lost
 *   partitions are revoked from the tracker, and redelivered offsets still tracked are skipped.
 * - With `claim` (exactly-once delivery, ./transactional-sink.ts) every group join holds all
 *   assigned partitions paused and forgets their tracked work, calls `claim` (retried with
 *   backoff until it answers, unless a newer join came meanwhile), seeks each partition to the
 *   offset it returns and then lets them go: a partition is consumed only after its previous
 *   owner was fenced, from what its transactions committed.
 * - Offsets a read_committed consumer never sees (transaction markers, aborted records) are
 *   recorded in the tracker as skipped, so the group's commit reaches the end of the topic;
 *   where nothing was tracked on the partition yet, from where the group reads it (`readFrom`,
 *   ./read-start.ts).
 * - `heartbeat()` is called at least every `heartbeatEveryMs` during a long batch.
 * - kafkajs drops its consumer group when the consumer crashes and builds a new one when it
 *   restarts; in between `consumer.pause()` / `resume()` throw. This source's `paused` map is the
 *   pause state it wants: calls that cannot reach kafkajs only update it, and every group join
 *   applies it to the (new) group. Nothing here throws because the group is away.
 */
import { Readable } from 'node:stream';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { askWhile } from '../engine/backoff.ts';
import type { OffsetCommitter, TopicPartition } from '../engine/offset-committer.ts';
import type { CommitOffset, OffsetTracker } from '../engine/offset-tracker.ts';
import { headersToStrings } from './headers.ts';
import { ReadStarts } from './read-start.ts';
import type { InputMessage } from './records.ts';

export interface KafkaSourceOptions {
  consumer: Consumer;
  topics: string[];
  tracker: OffsetTracker;
  committer: OffsetCommitter;
  /** Whether one more message of this partition may enter the pipeline now (may take a token). */
  admit?: (topic: string, partition: number, bytes: number) => boolean;
  /** Whether a partition paused by this source may resume now (takes nothing). @defaultValue admit(…, 0) */
  canResume?: (topic: string, partition: number) => boolean;
  /** Buffered messages before `push()` asks to stop. @defaultValue 256 */
  highWaterMark?: number;
  /** @defaultValue 3_000 ms */
  heartbeatEveryMs?: number;
  /** Start from the beginning when the group has no committed offset. @defaultValue true */
  fromBeginning?: boolean;
  onAssign?: (assignment: TopicPartition[], revoked: TopicPartition[]) => void;
  onPauseChange?: (paused: number) => void;
  /** The consumer crashed without restarting itself; the source rejoins (see `recover`). */
  onCrash?: (error: Error) => void;
  /** Takes the assigned partitions over before they are consumed; resolves with the offsets to start from. */
  claim?: (assignment: TopicPartition[]) => Promise<CommitOffset[]>;
  /** A claim failed and is retried. */
  onClaimRetry?: (error: Error, attempt: number) => void;
  /** Where the group reads a partition from now: its committed offset, else where a new group starts. */
  readFrom?: (topic: string, partition: number) => Promise<bigint>;
}

const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;

type Optional = 'onAssign' | 'onPauseChange' | 'canResume' | 'onCrash' | 'claim' | 'onClaimRetry' | 'readFrom';

export class KafkaSource extends Readable {
  private readonly paused = new Map<string, TopicPartition>();
  private readonly options: Required<Omit<KafkaSourceOptions, Optional>> & Pick<KafkaSourceOptions, Optional>;
  /** Partitions held paused until their claim is done (see the contract). */
  private held = new Set<string>();
  /** Group joins seen: a claim of an older join is abandoned. */
  private joins = 0;
  /** Asks where a partition's read starts when a fetch there hands on nothing (./read-start.ts). */
  private readonly starts: ReadStarts | undefined;
  private stopped = false;
  private recovering = false;
  private readonly removers: Array<() => void> = [];

  constructor(options: KafkaSourceOptions) {
    super({ objectMode: true, highWaterMark: options.highWaterMark ?? 256 });
    this.options = { admit: () => true, highWaterMark: 256, heartbeatEveryMs: 3_000, fromBeginning: true, ...options };
    this.starts = options.readFrom && new ReadStarts(options.tracker, options.readFrom);
  }

  /** Subscribes and starts consuming. Resolves once `consumer.run` has started. */
  async start(): Promise<void> {
    const { consumer, topics, committer } = this.options;
    this.removers.push(
      consumer.on(consumer.events.REBALANCING, () => void committer.rebalanceStarted()),
      consumer.on(consumer.events.GROUP_JOIN, (event) => void this.onGroupJoin(event.payload.memberAssignment)),
      // A fetched batch of transaction markers or aborted records only: kafkajs moves past it
      // without calling eachBatch; the tracker learns of it here, so commits move past it too.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload: { topic, partition, batchSize, firstOffset, lastOffset } }) => {
        if (batchSize !== 0 || this.stopped || this.held.has(tpKey(topic, partition))) return;
        if (this.options.tracker.knows(topic, partition)) this.options.tracker.skip(topic, partition, lastOffset);
        else if (firstOffset !== null && this.starts) {
          const join = this.joins;
          const current = (): boolean => join === this.joins && !this.stopped && !this.held.has(tpKey(topic, partition));
          void this.starts.skipFrom(topic, partition, BigInt(firstOffset), BigInt(lastOffset), current);
        }
      }),
    );
    this.removers.push(consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) void this.recover(event.payload.error);
    }));
    await consumer.subscribe({ topics, fromBeginning: this.options.fromBeginning });
    await this.run();
  }

  private run(): Promise<void> {
    return this.options.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * kafkajs restarts its consumer after retriable failures only; after a non-retriable one
   * (e.g. "Failed to find group coordinator" while the broker shuts down) it stops for good,
   * leaving a process that looks alive and consumes nothing. Rejoin instead: everything in
   * flight is forgotten (it will be redelivered: outputs are idempotent), then connect and run
   * again with backoff until it works or the source is stopped.
   */
  private async recover(cause: Error): Promise<void> {
    if (this.recovering || this.stopped) return;
    this.recovering = true;
    this.joins++; // what was started for the old group (a claim, a start question) is abandoned
    this.options.onCrash?.(cause);
    try {
      await this.options.committer.rebalanceStarted();
      await this.options.committer.assign([]);
      this.paused.clear();
      this.options.onPauseChange?.(0);
      for (let attempt = 0; !this.stopped; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** attempt)));
        if (this.stopped) return;
        try {
          await this.options.consumer.connect();
          await this.run();
          return;
        } catch (error) {
          this.options.onCrash?.(error as Error);
        }
      }
    } finally {
      this.recovering = false;
    }
  }

  private async onGroupJoin(memberAssignment: Record<string, number[]>): Promise<void> {
    const assignment: TopicPartition[] = Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    // Synchronously, inside kafkajs' GROUP_JOIN emit and so before its first fetch of the new
    // generation: rebuild the paused set. kafkajs keeps every pause across rebalances, and
    // forgets them all when it restarts a crashed consumer with a new group. Keep ours for
    // partitions we still own, release the rest (a partition we get back later is live), and
    // make kafkajs' set equal to ours.
    const join = ++this.joins;
    const owned = new Set(assignment.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const key of [...this.paused.keys()]) if (!owned.has(key)) this.paused.delete(key);
    if (this.stopped) {
      // Shutting down: nothing more is fetched, whatever was assigned.
      this.toKafka('pause', assignment.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
      this.options.onAssign?.(assignment, await this.options.committer.assign(assignment));
      return;
    }
    const inKafka = this.options.consumer.paused().flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
    const stale = inKafka.filter((tp) => !this.paused.has(tpKey(tp.topic, tp.partition)));
    const missing = [...this.paused.values()].filter((tp) => !inKafka.some((k) => k.topic === tp.topic && k.partition === tp.partition));
    this.toKafka('resume', stale.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
    this.toKafka('pause', missing.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
    if (this.options.claim) {
      this.held = owned;
      this.toKafka('pause', assignment.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
    }
    const revoked = await this.options.committer.assign(assignment);
    if (this.options.claim) this.options.tracker.revoke(assignment); // restart from what transactions committed
    this.options.onAssign?.(assignment, revoked);
    this.options.onPauseChange?.(this.paused.size);
    if (this.options.claim) await this.claimed(join, assignment);
    this.maybeResume();
  }

  /** Claims the join's partitions (retried), seeks them to the offsets given and lets them go. */
  private async claimed(join: number, assignment: TopicPartition[]): Promise<void> {
    const current = (): boolean => join === this.joins && !this.stopped;
    const offsets = await askWhile(() => this.options.claim!(assignment), current, (error, attempt) => this.options.onClaimRetry?.(error as Error, attempt));
    if (!offsets || !current()) return;
    for (const { topic, partition, offset } of offsets) {
      try {
        this.options.consumer.seek({ topic, partition, offset });
      } catch {
        return; // the group is away (a crash): its next join claims again
      }
    }
    const free = assignment.filter((tp) => !this.paused.has(tpKey(tp.topic, tp.partition)));
    this.held = new Set();
    this.toKafka('resume', free.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const { tracker, admit, heartbeatEveryMs } = this.options;
    let lastBeat = Date.now();
    // A group join while this batch is handed on (kafkajs may rejoin from one fetcher while
    // another's batch is here) ends it: the join reset what is tracked, the rest is fetched again.
    const join = this.joins;
    const key = tpKey(topic, partition);
    for (const message of batch.messages) {
      if (this.stopped || !isRunning() || isStale() || join !== this.joins || this.held.has(key)) return;
      const last = message === batch.messages.at(-1);
      if (tracker.isDuplicate(topic, partition, message.offset)) {
        resolveOffset(message.offset);
        if (last) tracker.skip(topic, partition, batch.lastOffset());
        continue;
      }
      const bytes = (message.value?.byteLength ?? 0) + (message.key?.byteLength ?? 0);
      if (!admit(topic, partition, bytes)) {
        this.pausePartition(topic, partition, pause);
        return;
      }
      const input: InputMessage = {
        topic,
        partition,
        offset: message.offset,
        // Copies: kafkajs hands out slices of a whole fetch response (up to maxBytes, several
        // MB); one slice kept in flight would keep the whole response alive.
        key: message.key ? Buffer.from(message.key) : null,
        value: message.value ? Buffer.from(message.value) : null,
        headers: headersToStrings(message.headers),
        timestamp: message.timestamp,
        ticket: tracker.track(topic, partition, message.offset, bytes, Date.now()),
      };
      const more = this.push(input);
      resolveOffset(message.offset);
      // The last record handed on: offsets after it in the batch (a transaction's marker) carry
      // nothing (kafkajs moves past them when the last record is resolved).
      if (last) tracker.skip(topic, partition, batch.lastOffset());
      if (!more) {
        this.pausePartition(topic, partition, pause);
        return;
      }
      if (Date.now() - lastBeat > heartbeatEveryMs) {
        await heartbeat();
        lastBeat = Date.now();
      }
    }
  }

  private pausePartition(topic: string, partition: number, pause: () => () => void): void {
    pause();
    this.paused.set(tpKey(topic, partition), { topic, partition });
    this.options.onPauseChange?.(this.paused.size);
  }

  /** Resumes partitions this source paused, when the stream has room and admission allows. */
  maybeResume(): void {
    if (this.stopped || this.paused.size === 0) return;
    if (this.readableLength >= this.readableHighWaterMark) return;
    for (const [key, tp] of this.paused) {
      if (this.held.has(key)) continue;
      const may = this.options.canResume ? this.options.canResume(tp.topic, tp.partition) : this.options.admit(tp.topic, tp.partition, 0);
      if (!may) continue;
      this.paused.delete(key);
      this.toKafka('resume', [{ topic: tp.topic, partitions: [tp.partition] }]);
    }
    this.options.onPauseChange?.(this.paused.size);
  }

  /**
   * Passes a pause or resume to kafkajs. While kafkajs has no consumer group (between a crash
   * and its restart) the call is dropped: the wanted state is in `paused` and the next group
   * join applies it.
   */
  private toKafka(action: 'pause' | 'resume', topicPartitions: Array<{ topic: string; partitions: number[] }>): void {
    if (topicPartitions.length === 0) return;
    try {
      this.options.consumer[action](topicPartitions);
    } catch {
      // "Consumer group was not initialized": applied on the next GROUP_JOIN (see onGroupJoin).
    }
  }

  get pausedCount(): number {
    return this.paused.size;
  }

  override _read(): void {
    this.maybeResume();
  }

  /**
   * Stops handing on messages: pauses every assigned partition so fetching stops, and ends the
   * stream so the pipeline drains. Does not leave the group (commits must still be possible).
   */
  stopFetching(): void {
    if (this.stopped) return;
    this.stopped = true;
    const assignment = this.options.committer.assignment();
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of assignment) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    this.toKafka('pause', [...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
    this.push(null);
  }

  /** Removes the rebalance listeners; call after the final commit. */
  detach(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}
