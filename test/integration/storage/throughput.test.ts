import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasVectorIndex, migrate } from '../../../src/storage/migrate.ts';
import type { PgClient } from '../../../src/storage/pg-client.ts';
import { chunkCount, search, vectorSearchSql } from '../../../src/storage/search.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { toVectorText } from '../../../src/storage/vector-text.ts';
import { createTestSchema, makeDoc, unitVector, type TestSchema } from './fixtures.ts';

const DIM = 384;
const DOCS = 250;
const CHUNKS_PER_DOC = 20;
const BATCH = 500;
const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

// Rows per second is a benchmark figure (`era-ingest bench`); this test checks what must hold at
// any speed: every row stored once, redelivery a no-op, the index used, filtered search exact.
describe('writeBatch at volume (real PostgreSQL, vector(384), HNSW index in place)', () => {
  let schema: TestSchema;
  let db: PgClient;
  beforeAll(async () => {
    schema = await createTestSchema('throughput');
    db = schema.client(2);
    await migrate(db, { dimension: DIM });
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('stores 5,000 chunks in batches of 500 once each, redelivery changes nothing, search uses the index', async () => {
    expect(await hasVectorIndex(db)).toBe(true);
    const items = Array.from({ length: DOCS }, (_, i) => makeDoc({ docId: `t-${i}`, version: 1, count: CHUNKS_PER_DOC, dim: DIM, minister: `m${i % 5}` })).flat();
    const started = performance.now();
    let events = 0;
    for (let i = 0; i < items.length; i += BATCH) events += (await writeBatch(db, items.slice(i, i + BATCH), { now: Date.now() })).length;
    const seconds = (performance.now() - started) / 1000;
    const rate = items.length / seconds;
    expect(events).toBe(DOCS);
    expect(await chunkCount(db)).toBe(items.length);

    // Redelivery of everything: unchanged, no writes.
    const again = performance.now();
    for (let i = 0; i < items.length; i += BATCH) await writeBatch(db, items.slice(i, i + BATCH), { now: Date.now() });
    const unchangedRate = items.length / ((performance.now() - again) / 1000);

    await db.query('ANALYZE chunks');
    await db.query('ANALYZE documents');
    const q = unitVector(DIM, 5);
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${vectorSearchSql()}`, [toVectorText(q), 10, null, null, 40, null, null, null]);
    const usesIndex = rows.some((r) => r['QUERY PLAN'].includes('chunks_embedding_hnsw'));
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await search(db, unitVector(DIM, 100 + i), { k: 10 });
    const searchMs = (performance.now() - t0) / 20;
    // Selective filters still find their k nearest (exact fallback when the index finds too few).
    const rare = makeDoc({ docId: 'rare', version: 1, count: 12, dim: DIM, minister: 'rare', category: 'rare-cat' });
    await writeBatch(db, rare, { now: Date.now() });
    const nearestRare = [...rare].sort((x, y) => cosine(y.embedding, q) - cosine(x.embedding, q)).slice(0, 10).map((c) => c.chunkId);
    expect((await search(db, q, { k: 10, minister: 'rare' })).map((h) => h.chunkId)).toEqual(nearestRare);
    expect((await search(db, q, { k: 10, category: 'rare-cat' })).map((h) => h.chunkId)).toEqual(nearestRare);

    console.log(`writeBatch: ${items.length} chunks of vector(${DIM}) in ${seconds.toFixed(2)} s = ${Math.round(rate)} rows/s (new); ` +
      `${Math.round(unchangedRate)} rows/s (unchanged redelivery); search top-10 ${searchMs.toFixed(1)} ms, HNSW used: ${usesIndex}`);
    expect(usesIndex).toBe(true);
  });
});
