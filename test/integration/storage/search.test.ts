import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupEmbeddings } from '../../../src/storage/embedding-cache.ts';
import { migrate } from '../../../src/storage/migrate.ts';
import type { PgClient } from '../../../src/storage/pg-client.ts';
import { chunkCount, documentCount, search, vectorSearchSql } from '../../../src/storage/search.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { toVectorText } from '../../../src/storage/vector-text.ts';
import type { SqlClient } from '../../../src/storage/sql-client.ts';
import type { RoutedChunk } from '../../../src/topics/messages.ts';
import { createTestSchema, makeDoc, unitVector, type TestSchema } from './fixtures.ts';

const DIM = 32;
const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('search and embedding cache (real PostgreSQL)', () => {
  let schema: TestSchema;
  let db: PgClient;
  let corpus: RoutedChunk[];
  beforeAll(async () => {
    schema = await createTestSchema('search');
    db = schema.client(2);
    await migrate(db, { dimension: DIM });
    corpus = Array.from({ length: 40 }, (_, i) => makeDoc({
      docId: `s-${i}`, version: 1, count: 8, dim: DIM,
      minister: i % 2 ? 'finance' : 'health', category: (s) => (s % 2 ? 'tax' : undefined),
    })).flat();
    await writeBatch(db, corpus, { now: 1 });
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('returns the exact nearest current chunk first, with its fields and cosine score', async () => {
    const target = corpus[123]!;
    const hits = await search(db, target.embedding, { k: 5 });
    expect(hits).toHaveLength(5);
    expect(hits[0]).toMatchObject({
      chunkId: target.chunkId, docId: target.docId, title: target.title, text: target.text,
      ministerId: target.ministerId, headingPath: target.headingPath, category: target.category ?? null,
    });
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    const expected = corpus.map((c) => cosine(c.embedding, target.embedding)).sort((x, y) => y - x).slice(0, 5);
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!, 4));
  });

  it('ranks a random query like an exact scan', async () => {
    const q = unitVector(DIM, 777);
    const hits = await search(db, q, { k: 10 });
    const exact = [...corpus].sort((x, y) => cosine(y.embedding, q) - cosine(x.embedding, q)).slice(0, 10);
    expect(hits.map((h) => h.chunkId)).toEqual(exact.map((c) => c.chunkId));
  });

  it('filters by minister and category', async () => {
    const q = unitVector(DIM, 42);
    const hits = await search(db, q, { k: 20, minister: 'finance', category: 'tax' });
    expect(hits).toHaveLength(20);
    expect(hits.every((h) => h.ministerId === 'finance' && h.category === 'tax')).toBe(true);
    const exact = corpus.filter((c) => c.ministerId === 'finance' && c.category === 'tax')
      .sort((x, y) => cosine(y.embedding, q) - cosine(x.embedding, q)).slice(0, 20);
    expect(hits.map((h) => h.chunkId)).toEqual(exact.map((c) => c.chunkId));
  });

  it('never returns chunks of a pending version', async () => {
    const pending = makeDoc({ docId: 's-0', version: 2, count: 3, dim: DIM }).slice(0, 2);
    await writeBatch(db, pending, { now: 2 });
    const hits = await search(db, pending[0]!.embedding, { k: 3 });
    expect(hits.map((h) => h.chunkId)).not.toContain(pending[0]!.chunkId);
    expect(await documentCount(db)).toBe(40);
    expect(await chunkCount(db)).toBe(320);
    expect(await chunkCount(db, 'finance')).toBe(160);
  });

  it('uses the HNSW index on PostgreSQL', async () => {
    await db.query('ANALYZE chunks');
    const plan = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${vectorSearchSql()}`, [toVectorText(unitVector(DIM, 1)), 10, null, null, 40, null, null, null]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/chunks_embedding_hnsw/);
  });

  it('redoes a filtered search exactly when the HNSW scan finds fewer than k matches', async () => {
    const rare = makeDoc({ docId: 'rare', version: 1, count: 12, dim: DIM, minister: 'health', category: 'rare-cat' });
    await writeBatch(db, rare, { now: 3 });
    // Make the planner take the HNSW index even at this size, and record what search runs.
    const issued: string[] = [];
    const forceIndex: SqlClient = {
      kind: 'pg',
      query: (text, params) => forceIndex.transaction((tx) => tx.query(text, params)),
      transaction: (fn) => db.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off');
        await tx.query('SET LOCAL enable_sort = off');
        const recording: SqlClient = { ...tx, query: (text, params) => (issued.push(text), tx.query(text, params)) };
        return fn(recording);
      }),
      close: async () => {},
    };
    const q = unitVector(DIM, 9);
    const hits = await search(forceIndex, q, { k: 10, category: 'rare-cat', candidates: 40 });
    const exact = [...rare].sort((x, y) => cosine(y.embedding, q) - cosine(x.embedding, q)).slice(0, 10);
    expect(hits.map((h) => h.chunkId)).toEqual(exact.map((c) => c.chunkId));
    expect(issued).toContain('SET LOCAL enable_indexscan = off');
  });

  it('looks up stored embeddings bit for bit, by chunk id and model, in one query', async () => {
    const wanted = [corpus[0]!, corpus[77]!, corpus[300]!];
    const found = await lookupEmbeddings(db, [...wanted.map((c) => c.chunkId), 'missing-id', corpus[0]!.chunkId], 'test-model');
    expect([...found.keys()].sort()).toEqual(wanted.map((c) => c.chunkId).sort());
    for (const c of wanted) expect(Buffer.from(found.get(c.chunkId)!.buffer)).toEqual(Buffer.from(c.embedding.buffer));
    expect((await lookupEmbeddings(db, [corpus[0]!.chunkId], 'other-model')).size).toBe(0);
    expect((await lookupEmbeddings(db, [], 'test-model')).size).toBe(0);
  });
});
