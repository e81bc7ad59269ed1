/**
 * Fixtures of the storage integration tests: a private schema per test file on the real
 * PostgreSQL, and deterministic documents (routed chunks with reproducible unit vectors).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { createPgClient, type PgClient } from '../../../src/storage/pg-client.ts';
import type { DeleteRecord, RoutedChunk } from '../../../src/topics/messages.ts';
import { databaseUrl } from '../../helpers/services.ts';
import { uniqueName } from '../../helpers/names.ts';

/** A schema of its own on the test server; `client()` opens pools searching it first. */
export interface TestSchema {
  name: string;
  client(max?: number): PgClient;
  /** Closes every client opened here and drops the schema. */
  drop(): Promise<void>;
}

export async function createTestSchema(prefix: string): Promise<TestSchema> {
  const name = uniqueName(prefix).replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: databaseUrl() });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.end();
  const clients: PgClient[] = [];
  return {
    name,
    client(max = 4) {
      const c = createPgClient(databaseUrl(), { max, schema: name });
      clients.push(c);
      return c;
    },
    async drop() {
      await Promise.allSettled(clients.map((c) => c.close()));
      const a = new pg.Client({ connectionString: databaseUrl() });
      await a.connect();
      await a.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await a.end();
    },
  };
}

/** Deterministic pseudo-random unit vector (mulberry32). */
export function unitVector(dim: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const v = Array.from({ length: dim }, rand);
  const norm = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / norm);
}

const sha = (...parts: unknown[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');

export interface DocSpec {
  docId: string;
  version: number;
  /** Content label: equal labels = equal content hash (an unchanged document). */
  content?: string;
  count: number;
  dim: number;
  minister?: string | ((seq: number) => string);
  category?: string | ((seq: number) => string | undefined);
  jobId?: string;
  title?: string;
  model?: string;
}

/** All chunks of one document version, as the minister stage would emit them. */
export function makeDoc(spec: DocSpec): RoutedChunk[] {
  const content = spec.content ?? `v${spec.version}`;
  const contentHash = sha(spec.docId, content);
  return Array.from({ length: spec.count }, (_, seq) => {
    const ministerId = typeof spec.minister === 'function' ? spec.minister(seq) : (spec.minister ?? 'general');
    const category = typeof spec.category === 'function' ? spec.category(seq) : spec.category;
    const seed = Number.parseInt(sha(contentHash, seq).slice(0, 8), 16);
    return {
      kind: 'chunk',
      docId: spec.docId,
      version: spec.version,
      contentHash,
      title: spec.title ?? `${spec.docId} (${content})`,
      source: `file:///${spec.docId}.md`,
      metadata: { content },
      ...(spec.jobId !== undefined ? { jobId: spec.jobId } : {}),
      chunkId: sha(spec.docId, contentHash, seq, 'chunker-v1'),
      seq,
      count: spec.count,
      text: `${spec.docId} ${content} chunk ${seq}`,
      tokenCount: 5 + seq,
      headingPath: ['Title', `Section ${seq % 3}`],
      embedding: unitVector(spec.dim, seed),
      model: spec.model ?? 'test-model',
      ministerId,
      category,
      routing: { method: 'default' },
    } satisfies RoutedChunk;
  });
}

export function deleteOf(docId: string, version: number, jobId?: string): DeleteRecord {
  return { kind: 'delete', docId, version, ...(jobId !== undefined ? { jobId } : {}) };
}
