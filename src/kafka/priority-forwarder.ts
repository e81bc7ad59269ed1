/**
 * The priority lane's place in the version order (README "Guarantees"). A document's versions
 * are ordered by the offsets of its records in the stream's main topic (`era.raw`): one key, one
 * partition, one order, assigned by the broker. A record taken from the priority lane
 * (`era.raw.priority`) is first appended to the main topic — that append is its place in the
 * order — and its input offset is committed in the same Kafka transaction, so it is appended
 * exactly once however often it is redelivered. The stage then processes it at once (that is the
 * priority) with the version the append got; when the main topic's consumer reaches the appended
 * copy later, it processes it again with the same version (a no-op downstream: same chunk ids,
 * same version, no embedding).
 *
 * Zombies are fenced the pre-KIP-447 way (kafkajs has no KIP-447): one transactional producer per
 * priority partition, with a transactional id derived from the group and the partition, so a
 * new owner's producer fences the old owner's. Producers are created and initialised when a
 * partition is assigned (which fences the previous owner and aborts a transaction it left open:
 * read_committed consumers of the main topic wait for it) and dropped when it is revoked. With
 * DELIVERY=exactly-once the stage claims its partitions (./source.ts) only after `assign`
 * resolved, so it reads the lane's committed offsets after the fence.
 */
import type { Kafka, Producer } from 'kafkajs';
import { DependencyError } from '../errors/pipeline-error.ts';
import { HEADERS } from '../topics/headers.ts';
import { kafkaErrorType } from './client.ts';
import type { InputMessage } from './records.ts';

/** Header on an appended copy: where it came from (`<topic>/<partition>/<offset>`). */
export const FORWARDED_FROM_HEADER = 'era.forwarded.from';

export interface PriorityForwarderOptions {
  kafka: Kafka;
  groupId: string;
  /** The priority lane. */
  from: string;
  /** The main topic the lane's records are appended to. */
  to: string;
  /** Offsets the transactions committed (so the regular committer never commits below them). */
  onCommitted(topic: string, partition: number, offset: string): void;
  /** Transaction timeout, ms: how long an abandoned transaction can hold back read_committed readers. @defaultValue 10_000 */
  transactionTimeoutMs?: number;
}

/** The result of forwarding a batch: the version each priority input got, and inputs of partitions this member lost. */
export interface Forwarded {
  versions: Map<InputMessage, number>;
  abandoned: InputMessage[];
}

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_TXN_STATE']);

/** The version a record claims (`era.version`, set by `dlq replay`): a non-negative integer, or undefined. */
export function claimedVersion(headers: Readonly<Record<string, string>>): number | undefined {
  const text = headers[HEADERS.version];
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

export class PriorityForwarder {
  private readonly producers = new Map<number, Promise<Producer>>();
  /** Versions of inputs already forwarded by this process (a retried batch does not append twice). */
  private readonly done = new WeakMap<InputMessage, number>();
  private owned = new Set<number>();

  constructor(private readonly options: PriorityForwarderOptions) {}

  /**
   * The group's assignment changed: producers for newly owned lane partitions, initialised
   * (fencing the previous owner), none for lost ones. Rejects when a producer could not be
   * initialised (the next `forward` or `assign` tries again).
   */
  async assign(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    const now = new Set(partitions.filter((p) => p.topic === this.options.from).map((p) => p.partition));
    for (const p of this.owned) if (!now.has(p)) await this.drop(p);
    this.owned = now;
    await Promise.all([...now].map((p) => this.producer(p)));
  }

  /**
   * Appends every input of the priority lane to the main topic, one transaction per partition
   * (appends and the input offset together). Inputs of other topics are left alone.
   * @throws DependencyError (retriable) when the broker fails; nothing of that partition counts then.
   */
  async forward(inputs: readonly InputMessage[]): Promise<Forwarded> {
    const result: Forwarded = { versions: new Map(), abandoned: [] };
    const byPartition = new Map<number, InputMessage[]>();
    for (const m of inputs) {
      if (m.topic !== this.options.from) continue;
      const done = this.done.get(m);
      if (done !== undefined) result.versions.set(m, done);
      else byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
    }
    for (const [partition, messages] of byPartition) {
      if (!this.owned.has(partition)) {
        result.abandoned.push(...messages); // revoked meanwhile: the new owner forwards them
        continue;
      }
      for (const [m, version] of await this.transaction(partition, messages)) {
        this.done.set(m, version);
        result.versions.set(m, version);
      }
    }
    return result;
  }

  private async transaction(partition: number, messages: InputMessage[]): Promise<Map<InputMessage, number>> {
    const { from, to, groupId } = this.options;
    const producer = await this.producer(partition);
    const txn = await producer.transaction();
    const versions = new Map<InputMessage, number>();
    try {
      for (const m of messages) {
        const [meta] = await txn.send({
          topic: to,
          acks: -1,
          messages: [{ key: m.key, value: m.value, headers: { ...m.headers, [FORWARDED_FROM_HEADER]: `${from}/${m.partition}/${m.offset}` } }],
        });
        const appended = Number(meta!.baseOffset);
        const claim = claimedVersion(m.headers);
        versions.set(m, claim !== undefined && claim < appended ? claim : appended);
      }
      const next = (BigInt(messages.at(-1)!.offset) + 1n).toString();
      await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: from, partitions: [{ partition, offset: next }] }] });
      await txn.commit();
      this.options.onCommitted(from, partition, next);
      return versions;
    } catch (error) {
      await txn.abort().catch(() => undefined);
      const type = kafkaErrorType(error);
      if (type && FENCED.has(type)) await this.drop(partition); // another owner took over: a fresh producer next time, if still owned
      throw new DependencyError('kafka', `appending priority records of ${from}[${partition}] to ${to} failed: ${(error as Error).message}`, error);
    }
  }

  private producer(partition: number): Promise<Producer> {
    let p = this.producers.get(partition);
    if (!p) {
      const producer = this.options.kafka.producer({
        transactionalId: `${this.options.groupId}.forward.${this.options.from}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: this.options.transactionTimeoutMs ?? 10_000,
      });
      // kafkajs initialises a transactional id (the fencing) at its first transaction: now.
      p = producer.connect().then(async () => {
        await (await producer.transaction()).abort();
        return producer;
      });
      p.catch(() => this.producers.delete(partition));
      this.producers.set(partition, p);
    }
    return p;
  }

  private async drop(partition: number): Promise<void> {
    const p = this.producers.get(partition);
    this.producers.delete(partition);
    await p?.then((producer) => producer.disconnect()).catch(() => undefined);
  }

  /** Disconnects every producer. Idempotent. */
  async close(): Promise<void> {
    for (const partition of [...this.producers.keys()]) await this.drop(partition);
    this.owned.clear();
  }
}
