/**
 * The benchmark's own Kafka clients: the publisher (raw documents with the headers `publish`
 * sets, through `rawRecord`), the reader of `era.stored` (publish→stored latency from the
 * carried `era.published.at` header) and the offsets sampler (per-stage output and lag).
 */
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { headersToStrings } from '../../src/kafka/headers.ts';
import { storedCodec } from '../../src/topics/codec-json.ts';
import { HEADERS } from '../../src/topics/headers.ts';
import type { RawDocument } from '../../src/topics/messages.ts';
import { rawRecord } from '../../src/topics/raw-record.ts';

export interface StoredSeen {
  id: string;
  chunks: number;
  publishedAt: number;
  storedAt: number;
  receivedAt: number;
}

/** Reads `era.stored` from the beginning and keeps every event (deletions are skipped). */
export class StoredReader {
  readonly events = new Map<string, StoredSeen>();
  private consumer?: Consumer;
  private listeners = new Set<() => void>();

  constructor(private readonly kafka: Kafka, private readonly topic: string, private readonly groupId: string) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const receivedAt = Date.now();
        for (const m of batch.messages) {
          if (!m.value) continue;
          const event = storedCodec.decode(m.value);
          if (event.deleted) continue;
          const publishedAt = Number(headersToStrings(m.headers)[HEADERS.publishedAt]);
          // The first arrival counts (a redelivered event changes nothing).
          if (!this.events.has(event.id)) this.events.set(event.id, { id: event.id, chunks: event.chunks, publishedAt, storedAt: event.storedAt, receivedAt });
        }
        for (const l of this.listeners) l();
      },
    });
  }

  /** Stored events whose document id starts with `prefix`. */
  count(prefix: string): number {
    let n = 0;
    for (const id of this.events.keys()) if (id.startsWith(prefix)) n++;
    return n;
  }

  /**
   * Resolves when `n` documents with ids starting with `prefix` are stored, or when nothing new
   * arrived for `stallMs` (resolves false then), or after `timeoutMs`.
   */
  waitFor(prefix: string, n: number, { stallMs, timeoutMs }: { stallMs: number; timeoutMs: number }): Promise<boolean> {
    return new Promise((resolve) => {
      let last = this.count(prefix);
      let lastChange = Date.now();
      const started = Date.now();
      const check = (): void => {
        const now = Date.now();
        const c = this.count(prefix);
        if (c !== last) {
          last = c;
          lastChange = now;
        }
        if (c >= n) return finish(true);
        if (now - lastChange > stallMs || now - started > timeoutMs) finish(false);
      };
      const timer = setInterval(check, 200);
      const finish = (ok: boolean): void => {
        clearInterval(timer);
        this.listeners.delete(check);
        resolve(ok);
      };
      this.listeners.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** Publishes raw documents like `era-ingest publish`: batches of 500, acks from all replicas. */
export class Publisher {
  private producer: Producer;

  constructor(kafka: Kafka, private readonly topic: string, private readonly jobId?: string) {
    this.producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Sends the documents as fast as the broker takes them; `era.published.at` is set per batch, just before its send. */
  async burst(docs: readonly RawDocument[], batchSize = 500): Promise<{ firstAt: number; lastAt: number }> {
    const firstAt = Date.now();
    for (let i = 0; i < docs.length; i += batchSize) await this.send(docs.slice(i, i + batchSize));
    return { firstAt, lastAt: Date.now() };
  }

  /**
   * Sends documents at `perSecond` for `seconds` (or until `docs` runs out), checking every
   * `tickMs` how many are due. Returns how many were sent and the achieved rate.
   */
  async atRate(docs: readonly RawDocument[], perSecond: number, seconds: number, tickMs = 20): Promise<{ sent: number; seconds: number; achieved: number }> {
    const started = Date.now();
    const total = Math.min(docs.length, Math.floor(perSecond * seconds));
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * perSecond)) - sent;
      if (due > 0) {
        await this.send(docs.slice(sent, sent + due));
        sent += due;
      } else {
        await new Promise((r) => setTimeout(r, tickMs));
      }
    }
    const elapsed = Math.max(0.001, (Date.now() - started) / 1000);
    return { sent, seconds: elapsed, achieved: sent / elapsed };
  }

  private async send(docs: readonly RawDocument[]): Promise<void> {
    const nowMs = Date.now();
    await this.producer.send({ topic: this.topic, acks: -1, messages: docs.map((d) => rawRecord(d, { ...(this.jobId ? { jobId: this.jobId } : {}), nowMs })) });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

export interface OffsetSample {
  at: number;
  /** Sum of end offsets per topic. */
  ends: Record<string, number>;
  /** Lag per group: Σ (end − committed) over its input topics. */
  lag: Record<string, number>;
}

/** Samples topic end offsets and group lag every `intervalMs` through the admin API. */
export class OffsetSampler {
  readonly samples: OffsetSample[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly admin: Admin,
    private readonly topics: readonly string[],
    private readonly groups: ReadonlyArray<{ name: string; groupId: string; topics: string[] }>,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sample().then(() => undefined).finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async sample(): Promise<OffsetSample | undefined> {
    try {
      const at = Date.now();
      const perPartition = new Map<string, Map<number, number>>();
      const ends: Record<string, number> = {};
      await Promise.all(this.topics.map(async (topic) => {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        perPartition.set(topic, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
        ends[topic] = offsets.reduce((s, o) => s + Number(o.high), 0);
      }));
      const lag: Record<string, number> = {};
      await Promise.all(this.groups.map(async (g) => {
        const committed = await this.admin.fetchOffsets({ groupId: g.groupId, topics: g.topics });
        let sum = 0;
        for (const t of committed) {
          const endOf = perPartition.get(t.topic);
          for (const p of t.partitions) sum += Math.max(0, (endOf?.get(p.partition) ?? 0) - Math.max(0, Number(p.offset)));
        }
        lag[g.name] = sum;
      }));
      const sample = { at, ends, lag };
      this.samples.push(sample);
      return sample;
    } catch {
      return undefined; // a failed sample leaves a gap; the next one fills in
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
