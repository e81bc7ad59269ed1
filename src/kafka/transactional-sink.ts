/**
 * The exactly-once sink of a Kafka stage (DELIVERY=exactly-once): an input partition's outputs,
 * its dead letters and its next offset go in one Kafka transaction, committed together or not
 * at all, so a read_committed reader of the output topics sees each input's outputs once.
 *
 * kafkajs has no KIP-447 (a producer fenced by the consumer group's generation), so zombies are
 * fenced the older way: one transactional producer per input partition, its transactional id
 * derived from the group and the partition (`<group>.eos.<topic>.<partition>`).
 *
 * Contract:
 * - `claim(assignment)`, on every group join and before those partitions are consumed: a fresh
 *   producer per assigned partition is initialised (InitProducerId: the previous owner's producer
 *   is fenced and its open transaction aborted, or this member's own from before the join), then
 *   the group's committed offsets are read — stable now, as nobody else can commit them — and
 *   returned: the source seeks there, and the tracker has forgotten everything in flight from
 *   before the join. The partition restarts from what transactions committed.
 * - `write(outcomes)`: one transaction per input partition. Outcomes whose ticket was revoked, or
 *   of a partition whose producer was fenced (another member owns it now and redoes them), are
 *   dropped and returned. Any other failure aborts the transaction and is thrown (retriable,
 *   unless the broker refused a record for good); the retry reconciles that partition first: a
 *   fresh producer, the committed offset read again, and outcomes below it (committed by a
 *   transaction whose answer was lost) count as written. Outcomes written in an attempt that
 *   failed elsewhere are not written again by the retry.
 * - `advance(offsets)` (the committer's commits in this mode): moves a partition's committed
 *   offset past records that carry nothing (transaction markers, aborted records), in an
 *   offsets-only transaction; never backwards. A partition's transactions run one at a time.
 * - Offsets of `offsetsCommittedElsewhere` topics (the priority lane, whose forwarder commits them
 *   in its own transactions) are neither committed nor returned by `claim`.
 */
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import type { TopicPartition } from '../engine/offset-committer.ts';
import type { CommitOffset, OffsetTracker } from '../engine/offset-tracker.ts';
import type { OutcomeSink } from '../engine/sink-stream.ts';
import type { DlqContext } from './dlq-record.ts';
import type { InputMessage, OutputRecord, RecordOutcome } from './records.ts';
import { outcomeRecords, produceError, topicMessages } from './sink.ts';

export interface TransactionalSinkOptions {
  kafka: Kafka;
  /** Reads the group's committed offsets. */
  admin: () => Admin;
  groupId: string;
  tracker: OffsetTracker;
  dlq: Omit<DlqContext, 'nowMs'>;
  /** Input topics whose offsets another transaction commits. @defaultValue none */
  offsetsCommittedElsewhere?: ReadonlySet<string>;
  /** An offset a transaction committed (the regular committer never goes below it). */
  onCommitted?: (topic: string, partition: number, offset: string) => void;
  /**
   * How long a transaction may stay open, ms: after a crash, read_committed readers of the
   * output topics wait at most this long (or until the partition's next owner claims it).
   * @defaultValue 30_000
   */
  transactionTimeoutMs?: number;
  now?: () => number;
}

/** A producer fenced by a newer one with the same transactional id (kafkajs error types). */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

interface PartitionProducer {
  readonly ready: Promise<Producer>;
  fenced: boolean;
  reconcile: boolean;
}

const keyOf = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

export class TransactionalSink implements OutcomeSink<InputMessage, OutputRecord> {
  private readonly producers = new Map<string, PartitionProducer>();
  /** The offset this member's transactions last committed per partition. */
  private readonly committedAt = new Map<string, bigint>();
  /** The running transaction of each partition (they run one at a time). */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Outcomes a transaction committed: a retried write does not write them again. */
  private readonly written = new WeakSet<RecordOutcome>();

  constructor(private readonly options: TransactionalSinkOptions) {}

  /** See the contract. Rejects (retriable) when the broker fails; the caller retries. */
  async claim(assignment: readonly TopicPartition[]): Promise<CommitOffset[]> {
    await this.close();
    await Promise.all(assignment.map((tp) => this.fresh(tp).ready));
    const offsets = await this.committed(assignment.filter((tp) => !this.options.offsetsCommittedElsewhere?.has(tp.topic)));
    this.committedAt.clear();
    for (const o of offsets) this.committedAt.set(keyOf(o), BigInt(o.offset));
    return offsets;
  }

  async write(outcomes: readonly RecordOutcome[]): Promise<ReadonlySet<RecordOutcome>> {
    const dropped = new Set<RecordOutcome>();
    const byPartition = new Map<string, RecordOutcome[]>();
    for (const outcome of outcomes) {
      if (this.written.has(outcome)) continue;
      const producer = this.producers.get(keyOf(outcome.input));
      if (!producer || producer.fenced || !this.options.tracker.isLive(outcome.input.ticket)) {
        dropped.add(outcome);
        continue;
      }
      const key = keyOf(outcome.input);
      byPartition.set(key, [...(byPartition.get(key) ?? []), outcome]);
    }
    const results = await Promise.allSettled([...byPartition].map(([key, list]) => this.serial(key, () => this.transaction(list, dropped))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return dropped;
  }

  /** See the contract. Rejects (retriable) when a transaction fails; the committer retries. */
  async advance(offsets: readonly CommitOffset[]): Promise<void> {
    await Promise.all(offsets.map((o) => this.serial(keyOf(o), async () => {
      const key = keyOf(o);
      const state = this.producers.get(key);
      if (!state || state.fenced || state.reconcile || this.options.offsetsCommittedElsewhere?.has(o.topic)) return;
      if (BigInt(o.offset) <= (this.committedAt.get(key) ?? -1n)) return;
      await this.commitTransaction(state, o.topic, o.partition, o.offset, async () => undefined);
    })));
  }

  /** Disconnects every producer (an open transaction is aborted by the partition's next owner, or times out). */
  async close(): Promise<void> {
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(all.map((p) => p.ready.then((producer) => producer.disconnect()).catch(() => undefined)));
  }

  /** One partition's outcomes (in offset order) in one transaction. */
  private async transaction(outcomes: RecordOutcome[], dropped: Set<RecordOutcome>): Promise<void> {
    const { topic, partition } = outcomes[0]!.input;
    let state = this.producers.get(keyOf({ topic, partition }))!;
    if (state.reconcile) {
      state = this.fresh({ topic, partition });
      await state.ready.catch((error: unknown) => {
        state.reconcile = true;
        throw produceError(error);
      });
      const [committed] = await this.committed([{ topic, partition }]);
      const floor = committed ? BigInt(committed.offset) : -1n;
      if (committed) this.committedAt.set(keyOf({ topic, partition }), floor);
      for (const o of outcomes) if (BigInt(o.input.offset) < floor) this.written.add(o);
      outcomes = outcomes.filter((o) => !this.written.has(o));
      if (outcomes.length === 0) return;
    }
    const { dlq, offsetsCommittedElsewhere, now = Date.now } = this.options;
    const records = outcomeRecords(outcomes, dlq, now());
    const next = (BigInt(outcomes.at(-1)!.input.offset) + 1n).toString();
    const committed = await this.commitTransaction(state, topic, partition, offsetsCommittedElsewhere?.has(topic) ? undefined : next, async (txn) => {
      if (records.length) await txn.sendBatch({ topicMessages: topicMessages(records), acks: -1 });
    });
    if (committed) for (const o of outcomes) this.written.add(o);
    else for (const o of outcomes) dropped.add(o); // fenced: another member owns the partition now and redoes them
  }

  /**
   * One transaction on the partition's producer: `send`, then the offset (unless undefined),
   * then commit. Resolves false when the producer was fenced (nothing of it counts), true when
   * committed; any other failure aborts and is thrown.
   */
  private async commitTransaction(state: PartitionProducer, topic: string, partition: number, offset: string | undefined, send: (txn: Transaction) => Promise<void>): Promise<boolean> {
    const producer = await state.ready.catch((error: unknown) => {
      state.reconcile = true;
      throw produceError(error);
    });
    const txn = await producer.transaction();
    try {
      await send(txn);
      if (offset !== undefined) await txn.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic, partitions: [{ partition, offset }] }] });
      await txn.commit();
    } catch (error) {
      await txn.abort().catch(() => undefined);
      const type = (error as { type?: string }).type ?? (error as { cause?: { type?: string } }).cause?.type;
      if (type && FENCED.has(type)) {
        state.fenced = true;
        return false;
      }
      state.reconcile = true;
      throw produceError(error);
    }
    if (offset !== undefined) {
      this.committedAt.set(keyOf({ topic, partition }), BigInt(offset));
      this.options.onCommitted?.(topic, partition, offset);
    }
    return true;
  }

  /** Runs `fn` after the partition's running transaction (one at a time per partition). */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  /** A new transactional producer for the partition, initialised (which fences every older one). */
  private fresh(tp: TopicPartition): PartitionProducer {
    const key = keyOf(tp);
    const old = this.producers.get(key);
    if (old) void old.ready.then((p) => p.disconnect()).catch(() => undefined);
    const producer = this.options.kafka.producer({
      transactionalId: `${this.options.groupId}.eos.${tp.topic}.${tp.partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionTimeout: this.options.transactionTimeoutMs ?? 30_000,
    });
    const ready = (async () => {
      await producer.connect();
      // kafkajs initialises the transactional producer id (the fencing) at the first transaction.
      const txn = await producer.transaction();
      await txn.abort();
      return producer;
    })();
    const state: PartitionProducer = { ready, fenced: false, reconcile: false };
    ready.catch(() => {
      void producer.disconnect().catch(() => undefined);
      if (this.producers.get(key) === state) state.reconcile = true;
    });
    this.producers.set(key, state);
    return state;
  }

  /** The group's committed offsets of these partitions (none where nothing was committed). */
  private async committed(partitions: readonly TopicPartition[]): Promise<CommitOffset[]> {
    const topics = [...new Set(partitions.map((tp) => tp.topic))];
    if (topics.length === 0) return [];
    try {
      const groups = await this.options.admin().fetchOffsets({ groupId: this.options.groupId, topics });
      const wanted = new Set(partitions.map(keyOf));
      return groups.flatMap(({ topic, partitions: ps }) => ps
        .filter((p) => wanted.has(keyOf({ topic, partition: p.partition })) && p.offset !== '-1')
        .map((p) => ({ topic, partition: p.partition, offset: p.offset })));
    } catch (error) {
      throw produceError(error);
    }
  }
}
