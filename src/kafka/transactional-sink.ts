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
 * - `write(outcomes)`: one transaction per input partition. Outcomes whose ticket was revoked
 *   (another member owns the partition now and redoes them) are dropped and returned. Outcomes
 *   below the partition's committed offset as this member last knew it count as written (a
 *   transaction of another producer committed them). Any failure aborts the transaction and is
 *   thrown (retriable, unless the broker refused a record for good), a fence included (a new
 *   owner's claim, or the coordinator aborting a transaction past its timeout); the next
 *   transaction of that partition reconciles first: a fresh producer (fencing whoever holds the
 *   id — a member that lost the partition learns it at its next rejoin, until then a fence goes
 *   back and forth and each side counts what the other committed as written), and the committed
 *   offset read again. Outcomes written in an attempt that failed elsewhere are not written again.
 * - `advance(offsets)` (the committer's commits in this mode): moves a partition's committed
 *   offset past records that carry nothing (transaction markers, aborted records), in an
 *   offsets-only transaction; never backwards; rejects while the partition is being claimed. A
 *   partition's transactions run one at a time.
 * - Offsets of `offsetsCommittedElsewhere` topics (the priority lane, whose forwarder commits them
 *   in its own transactions, fencing on claim too) are never committed here; `claim` returns
 *   them like the others.
 */
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import type { TopicPartition } from '../engine/offset-committer.ts';
import type { CommitOffset, OffsetTracker } from '../engine/offset-tracker.ts';
import type { OutcomeSink } from '../engine/sink-stream.ts';
import type { DlqContext } from './dlq-record.ts';
import type { InputMessage, OutputRecord, RecordOutcome } from './records.ts';
import { kafkaErrorType } from './client.ts';
import { outcomeRecords, produceError, topicMessages } from './sink.ts';
import { DependencyError } from '../errors/pipeline-error.ts';

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
  /** Its last transaction failed: reconcile before the next (see the contract). */
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
    const offsets = await this.committed(assignment);
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
      if (!producer || !this.options.tracker.isLive(outcome.input.ticket)) {
        dropped.add(outcome);
        continue;
      }
      const key = keyOf(outcome.input);
      byPartition.set(key, [...(byPartition.get(key) ?? []), outcome]);
    }
    const results = await Promise.allSettled([...byPartition].map(([key, list]) => this.serial(key, () => this.transaction(list))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return dropped;
  }

  /** See the contract. Rejects (retriable) when a transaction fails; the committer retries. */
  async advance(offsets: readonly CommitOffset[]): Promise<void> {
    await Promise.all(offsets.map((o) => this.serial(keyOf(o), async () => {
      if (this.options.offsetsCommittedElsewhere?.has(o.topic)) return;
      if (!this.producers.has(keyOf(o))) throw new DependencyError('kafka', `${keyOf(o)} is being claimed: its offset is committed after`);
      const state = await this.reconciled(o);
      if (BigInt(o.offset) <= (this.committedAt.get(keyOf(o)) ?? -1n)) return;
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
  private async transaction(outcomes: RecordOutcome[]): Promise<void> {
    const { topic, partition } = outcomes[0]!.input;
    const state = await this.reconciled({ topic, partition });
    const ownOffsets = !this.options.offsetsCommittedElsewhere?.has(topic);
    if (ownOffsets) {
      const floor = this.committedAt.get(keyOf({ topic, partition })) ?? -1n;
      for (const o of outcomes) if (BigInt(o.input.offset) < floor) this.written.add(o);
      outcomes = outcomes.filter((o) => !this.written.has(o));
      if (outcomes.length === 0) return;
    }
    const { dlq, now = Date.now } = this.options;
    const records = outcomeRecords(outcomes, dlq, now());
    const next = (BigInt(outcomes.at(-1)!.input.offset) + 1n).toString();
    await this.commitTransaction(state, topic, partition, ownOffsets ? next : undefined, async (txn) => {
      if (records.length) await txn.sendBatch({ topicMessages: topicMessages(records), acks: -1 });
    });
    for (const o of outcomes) this.written.add(o);
  }

  /** The partition's producer, reconciled first when its last transaction failed (see the contract). */
  private async reconciled(tp: TopicPartition): Promise<PartitionProducer> {
    const current = this.producers.get(keyOf(tp))!;
    if (!current.reconcile) return current;
    const state = this.fresh(tp);
    try {
      await state.ready;
      if (this.options.offsetsCommittedElsewhere?.has(tp.topic)) return state;
      const [committed] = await this.committed([tp]);
      if (committed) this.committedAt.set(keyOf(tp), BigInt(committed.offset));
      return state;
    } catch (error) {
      state.reconcile = true;
      throw produceError(error);
    }
  }

  /**
   * One transaction on the partition's producer: `send`, then the offset (unless undefined),
   * then commit. Any failure aborts it, marks the partition for reconciling and is thrown.
   */
  private async commitTransaction(state: PartitionProducer, topic: string, partition: number, offset: string | undefined, send: (txn: Transaction) => Promise<void>): Promise<void> {
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
      const aborted = await txn.abort().then(() => true, () => false);
      const type = kafkaErrorType(error);
      // The broker still completing this producer's previous transaction: the producer is fine, retry with it.
      if (type === 'CONCURRENT_TRANSACTIONS' && aborted) throw new DependencyError('kafka', `the broker was still completing the previous transaction of ${topic}[${partition}]: retrying`, error);
      state.reconcile = true;
      if (type && FENCED.has(type)) throw new DependencyError('kafka', `the transactional producer of ${topic}[${partition}] was fenced (a new owner claimed the partition, or its transaction timed out): reconciling`, error);
      throw produceError(error);
    }
    if (offset !== undefined) {
      this.committedAt.set(keyOf({ topic, partition }), BigInt(offset));
      this.options.onCommitted?.(topic, partition, offset);
    }
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
    const state: PartitionProducer = { ready, reconcile: false };
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
