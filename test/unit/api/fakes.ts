/**
 * In-memory stand-ins for the API's dependencies (unit tests: no network but the loopback
 * HTTP server under test).
 */
import { Registry } from 'prom-client';
import { createApiServer, type ApiServer } from '../../../src/api/server.ts';
import type { ApiOptions } from '../../../src/api/context.ts';
import { kafkaDocumentSink } from '../../../src/api/kafka-ports.ts';
import type { DeadLetterFilter, DeadLetterSource, DeadLetterView, ReplayResult } from '../../../src/api/ports.ts';
import type { Publisher } from '../../../src/kafka/publisher.ts';
import { DependencyError } from '../../../src/errors/pipeline-error.ts';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import type { SqlClient, SqlResult } from '../../../src/storage/sql-client.ts';
import type { RawRecord } from '../../../src/topics/raw-record.ts';

export class FakePublisher implements Publisher {
  readonly sent: Array<{ topic: string; records: RawRecord[] }> = [];
  up = true;
  failWith?: Error;
  /** When set, send waits for it (to hold a request in flight). */
  gate?: Promise<void>;
  /** Calls of send so far, answered or not (a request has reached the publisher). */
  arrivals = 0;

  async send(topic: string, records: readonly RawRecord[]): Promise<void> {
    this.arrivals += 1;
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    this.sent.push({ topic, records: [...records] });
  }

  connected(): boolean {
    return this.up;
  }

  async close(): Promise<void> {
    this.up = false;
  }

  get records(): RawRecord[] {
    return this.sent.flatMap((s) => s.records);
  }
}

/** Dead letters held in memory; replays are recorded. */
export class FakeDeadLetters implements DeadLetterSource {
  letters: DeadLetterView[] = [];
  readonly replays: Array<{ filter: DeadLetterFilter; all: boolean }> = [];
  async list(filter: DeadLetterFilter, limit: number): Promise<DeadLetterView[]> {
    return this.letters.filter((l) => (!filter.stage || l.stage === filter.stage) && (!filter.code || l.code === filter.code)).slice(0, limit);
  }
  async replay(filter: DeadLetterFilter, { all }: { all: boolean }): Promise<ReplayResult> {
    this.replays.push({ filter, all });
    const matched = await this.list(filter, 1000);
    return { replayed: matched.length, skipped: this.letters.length - matched.length, byTopic: matched.length ? { 'unit.raw': matched.length } : {} };
  }
}

export class FakeDb implements SqlClient {
  readonly kind = 'pg' as const;
  readonly queries: Array<{ sql: string; params?: unknown[] }> = [];
  down = false;

  async query<R>(sql: string, params?: unknown[]): Promise<SqlResult<R>> {
    if (this.down) throw new DependencyError('postgres', 'connection refused');
    this.queries.push({ sql, ...(params ? { params } : {}) });
    return { rows: [], rowCount: 0 };
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {}
}

export interface Harness {
  api: ApiServer;
  base: string;
  publisher: FakePublisher;
  db: FakeDb;
  registry: Registry;
  embedder: GatedEmbedder;
  deadLetters: FakeDeadLetters;
}

/** The hash embedder, whose calls can be held (a search in flight) and counted. */
export class GatedEmbedder {
  readonly inner = createHashEmbedder({ dimension: 16, model: 'hash-v1' });
  readonly model = this.inner.model;
  readonly dimension = this.inner.dimension;
  readonly kind = this.inner.kind;
  gate?: Promise<void>;
  arrivals = 0;
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.arrivals += 1;
    if (this.gate) await this.gate;
    return this.inner.embed(texts);
  }
}

export async function startFakeApi(options: Partial<ApiOptions> = {}): Promise<Harness> {
  const publisher = new FakePublisher();
  const db = new FakeDb();
  const registry = new Registry();
  const embedder = new GatedEmbedder();
  const deadLetters = new FakeDeadLetters();
  const api = createApiServer({ sink: kafkaDocumentSink(publisher, 'unit'), deadLetters, db, embedder, registry }, options);
  const port = await api.listen(0, '127.0.0.1');
  return { api, base: `http://127.0.0.1:${port}`, publisher, db, registry, embedder, deadLetters };
}

export const json = (value: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof value === 'string' ? value : JSON.stringify(value) });
