/**
 * Re-embedded vector sets (chunk_vectors, migration 004) on the real PostgreSQL, and on PGlite:
 * what reembed reads and writes, how search picks a set by model, and that a set follows its
 * chunks (a new version or a tombstone removes their vectors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { lookupEmbeddings } from '../../../src/storage/embedding-cache.ts';
import { migrate } from '../../../src/storage/migrate.ts';
import {
  chunksToEmbed, copyStoredVectors, dropModel, ensureModelIndex, getModel, listModels, modelIndexName, registerModel,
  setModelState, writeModelVectors,
} from '../../../src/storage/model-vectors.ts';
import type { PgClient } from '../../../src/storage/pg-client.ts';
import { tryLockModel } from '../../../src/storage/model-lock.ts';
import { createPgliteClient } from '../../../src/storage/pglite-client.ts';
import { databaseUrl } from '../../helpers/services.ts';
import { search } from '../../../src/storage/search.ts';
import type { SqlClient } from '../../../src/storage/sql-client.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import type { RoutedChunk } from '../../../src/topics/messages.ts';
import { createTestSchema, deleteOf, makeDoc, unitVector, type TestSchema } from './fixtures.ts';

const DIM = 32;
const WIDE = 48;
const MODEL = 'wide:latest';
/** The "new model's" vector of a chunk: deterministic per chunk id, another dimension. */
const wideVector = (chunkId: string): Float32Array => unitVector(WIDE, Number.parseInt(chunkId.slice(0, 8), 16));

async function seed(db: SqlClient): Promise<RoutedChunk[]> {
  await migrate(db, { dimension: DIM });
  const current = Array.from({ length: 10 }, (_, i) => makeDoc({ docId: `m-${i}`, version: 1, count: 4, dim: DIM, minister: i % 2 ? 'finance' : 'health' })).flat();
  await writeBatch(db, current, { now: 1 });
  // A pending version (2 of its 4 chunks stored): not current, so not re-embedded.
  await writeBatch(db, makeDoc({ docId: 'm-0', version: 2, count: 4, dim: DIM }).slice(0, 2), { now: 2 });
  return current;
}

describe('re-embedded vector sets (real PostgreSQL)', () => {
  let schema: TestSchema;
  let db: PgClient;
  let current: RoutedChunk[];
  beforeAll(async () => {
    schema = await createTestSchema('model_vectors');
    db = schema.client(2);
    current = await seed(db);
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('lists the current chunks without a vector of the model, page by page, in chunk id order', async () => {
    const all = await chunksToEmbed(db, MODEL, { limit: 1000 });
    expect(all.map((c) => c.chunkId)).toEqual(current.map((c) => c.chunkId).sort());
    const first = all[0]!;
    const source = current.find((c) => c.chunkId === first.chunkId)!;
    expect(first).toEqual({
      chunkId: source.chunkId, docId: source.docId, version: 1, contentHash: source.contentHash, title: source.title,
      seq: source.seq, count: 4, text: source.text, tokenCount: source.tokenCount, headingPath: source.headingPath,
    });
    const paged: string[] = [];
    for (let after = ''; ;) {
      const page = await chunksToEmbed(db, MODEL, { after, limit: 7 });
      if (page.length === 0) break;
      paged.push(...page.map((c) => c.chunkId));
      after = page[page.length - 1]!.chunkId;
    }
    expect(paged).toEqual(all.map((c) => c.chunkId));
    const exclude = all.slice(0, 3).map((c) => c.chunkId);
    expect((await chunksToEmbed(db, MODEL, { exclude })).map((c) => c.chunkId)).toEqual(all.slice(3).map((c) => c.chunkId));
  });

  it('registers a model once, with its dimension', async () => {
    const m = await registerModel(db, MODEL, WIDE, 'era.reembed.wide_latest');
    expect(m).toMatchObject({ model: MODEL, dimension: WIDE, state: 'building', consumerGroup: 'era.reembed.wide_latest', readyAt: null });
    expect(await registerModel(db, MODEL, WIDE, 'other-group')).toMatchObject({ consumerGroup: 'era.reembed.wide_latest' });
    await expect(registerModel(db, MODEL, 64, 'g')).rejects.toThrow(/registered with dimension 48, but it now returns vectors of 64/);
  });

  it('writes vectors of another dimension, skipping chunks that are gone, and searches them by model once ready', async () => {
    const ids = current.map((c) => c.chunkId);
    const written = await writeModelVectors(db, MODEL, [...ids, 'no-such-chunk'].map((chunkId) => ({ chunkId, embedding: wideVector(chunkId) })));
    expect(written).toBe(ids.length);
    expect(await chunksToEmbed(db, MODEL)).toEqual([]);
    // Still building: the set does not answer yet, and the error says so.
    await expect(search(db, wideVector(current[0]!.chunkId), { k: 1, model: MODEL })).rejects.toThrow(/wide:latest's vectors are still being built.*test-model/);
    // Upsert: writing again changes nothing in number.
    expect(await writeModelVectors(db, MODEL, ids.slice(0, 2).map((chunkId) => ({ chunkId, embedding: wideVector(chunkId) })))).toBe(2);
    expect(await ensureModelIndex(db, { model: MODEL, dimension: WIDE })).toBe(modelIndexName(MODEL));
    expect(await ensureModelIndex(db, { model: MODEL, dimension: WIDE })).toBe(modelIndexName(MODEL));
    await setModelState(db, MODEL, 'ready');
    expect((await getModel(db, MODEL))?.readyAt).toBeInstanceOf(Date);

    const target = current[17]!;
    const hits = await search(db, wideVector(target.chunkId), { k: 3, model: MODEL });
    expect(hits[0]).toMatchObject({ chunkId: target.chunkId, docId: target.docId, text: target.text, ministerId: target.ministerId });
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    // Filtered by minister: only that minister's chunks, nearest first.
    const health = await search(db, wideVector(target.chunkId), { k: 5, model: MODEL, minister: 'health' });
    expect(health).toHaveLength(5);
    expect(health.every((h) => h.ministerId === 'health')).toBe(true);
    // The original vectors still answer for their own model.
    expect((await search(db, target.embedding, { k: 1, model: 'test-model' }))[0]!.chunkId).toBe(target.chunkId);
    expect((await search(db, target.embedding, { k: 1 }))[0]!.chunkId).toBe(target.chunkId);
    // Wrong dimension for the model, or a model nobody embedded with: a clear error.
    await expect(search(db, target.embedding, { k: 1, model: MODEL })).rejects.toThrow(/32 dimensions but model wide:latest's vectors have 48/);
    await expect(search(db, target.embedding, { k: 1, model: 'nobody' })).rejects.toThrow(ConfigError);
    // The embed stage reuses a re-embedded vector (a pipeline switched to the model embeds nothing it has).
    const cached = await lookupEmbeddings(db, [target.chunkId], MODEL);
    expect(Array.from(cached.get(target.chunkId)!)).toEqual(Array.from(wideVector(target.chunkId)));
    // Asked with a dimension, vectors of another length are not handed out.
    expect((await lookupEmbeddings(db, [target.chunkId], MODEL, WIDE)).size).toBe(1);
    expect((await lookupEmbeddings(db, [target.chunkId], MODEL, DIM)).size).toBe(0);
    expect((await lookupEmbeddings(db, [target.chunkId], 'test-model', DIM)).size).toBe(1);
  });

  it('takes any model name, quotes and backslashes included, into its index and its search', async () => {
    const hostile = "x'; DROP TABLE chunks; -- \\' \\\\ \"q\"";
    const ids = current.slice(0, 6).map((c) => c.chunkId);
    await registerModel(db, hostile, WIDE, 'test');
    await writeModelVectors(db, hostile, ids.map((chunkId) => ({ chunkId, embedding: wideVector(chunkId) })));
    expect(await ensureModelIndex(db, { model: hostile, dimension: WIDE })).toBe(modelIndexName(hostile));
    await setModelState(db, hostile, 'ready');
    const hits = await search(db, wideVector(ids[3]!), { k: 2, model: hostile });
    expect(hits[0]!.chunkId).toBe(ids[3]);
    const { rows: [index] } = await db.query<{ def: string }>('SELECT pg_get_indexdef(to_regclass($1::text)) AS def', [modelIndexName(hostile)]);
    expect(index!.def).toContain('WHERE (model = ');
    const { rows: [count] } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks');
    expect(Number(count!.n)).toBeGreaterThan(0); // the table is still there
    expect(await dropModel(db, hostile)).toBe(true);
  });

  it('drops vectors with their chunks: a new version and a tombstone leave no orphan', async () => {
    const oldChunks = current.filter((c) => c.docId === 'm-3').map((c) => c.chunkId);
    await writeBatch(db, makeDoc({ docId: 'm-3', version: 5, count: 2, dim: DIM }), { now: 5 });
    await writeBatch(db, [deleteOf('m-4', 9)], { now: 9 });
    const { rows } = await db.query<{ chunk_id: string; doc_id: string }>(
      `SELECT v.chunk_id, c.doc_id FROM chunk_vectors v JOIN chunks c USING (chunk_id) WHERE v.model = $1`, [MODEL]);
    expect(rows.some((r) => oldChunks.includes(r.chunk_id) || r.doc_id === 'm-4')).toBe(false);
    expect(rows).toHaveLength(current.length - 8);
    // What is missing now is exactly the new version's chunks.
    expect((await chunksToEmbed(db, MODEL)).map((c) => `${c.docId}#${c.seq}`)).toEqual(
      makeDoc({ docId: 'm-3', version: 5, count: 2, dim: DIM }).sort((a, b) => a.chunkId.localeCompare(b.chunkId)).map((c) => `m-3#${c.seq}`));
    const [status] = await listModels(db);
    expect(status).toMatchObject({ model: MODEL, state: 'ready', vectors: current.length - 8, missing: 2 });
  });

  it('answers for a model from its set and from chunks.embedding rows of that model not copied yet', async () => {
    // The pipeline's own model as a set (as after switching EMBED_MODEL to a re-embedded model
    // of the same dimension): only some chunks are in the set; the others still answer.
    await registerModel(db, 'test-model', DIM, 'g');
    const inSet = current.filter((_, i) => i % 2 === 0).filter((c) => c.docId !== 'm-3' && c.docId !== 'm-4');
    await writeModelVectors(db, 'test-model', inSet.map((c) => ({ chunkId: c.chunkId, embedding: c.embedding })));
    await setModelState(db, 'test-model', 'ready');
    const outside = current.find((c, i) => i % 2 === 1 && c.docId !== 'm-3' && c.docId !== 'm-4')!;
    expect((await search(db, outside.embedding, { k: 1, model: 'test-model' }))[0]!.chunkId).toBe(outside.chunkId);
    expect((await search(db, inSet[3]!.embedding, { k: 1, model: 'test-model' }))[0]!.chunkId).toBe(inSet[3]!.chunkId);
    const health = await search(db, outside.embedding, { k: 4, model: 'test-model', minister: 'health' });
    expect(health.every((h) => h.ministerId === 'health')).toBe(true);
    expect(new Set(health.map((h) => h.chunkId)).size).toBe(health.length);
    expect(await dropModel(db, 'test-model')).toBe(true);
  });

  it('copies vectors chunks.embedding already holds for the model, only when the dimension matches', async () => {
    await registerModel(db, 'test-model', DIM, 'g');
    expect(await copyStoredVectors(db, 'test-model', WIDE)).toBe(0);
    const { rows: [n] } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM chunks WHERE model = 'test-model'`);
    expect(await copyStoredVectors(db, 'test-model', DIM)).toBe(n!.n);
    expect(await copyStoredVectors(db, 'test-model', DIM)).toBe(0);
    expect(await dropModel(db, 'test-model')).toBe(true);
    expect(await dropModel(db, MODEL)).toBe(true);
    expect(await dropModel(db, MODEL)).toBe(false);
    const { rows: [left] } = await db.query<{ n: number; idx: string | null }>(`SELECT (SELECT count(*)::int FROM chunk_vectors) AS n, to_regclass($1)::text AS idx`, [modelIndexName(MODEL)]);
    expect(left).toEqual({ n: 0, idx: null });
  });
});

describe('one re-embedding per model (advisory lock, real PostgreSQL)', () => {
  it('gives a model\'s lock to one holder at a time, and frees it on release', async () => {
    const first = await tryLockModel(databaseUrl(), 'locked-model');
    expect(first).toBeDefined();
    expect(await tryLockModel(databaseUrl(), 'locked-model')).toBeUndefined();
    const other = await tryLockModel(databaseUrl(), 'another-model');
    expect(other).toBeDefined();
    await first!.release();
    const again = await tryLockModel(databaseUrl(), 'locked-model');
    expect(again).toBeDefined();
    await again!.release();
    await other!.release();
  });
});

describe('re-embedded vector sets on PGlite (embedded mode)', () => {
  it('stores, indexes and searches a set of another dimension', async () => {
    const lite = await createPgliteClient();
    try {
      const current = await seed(lite);
      await registerModel(lite, MODEL, WIDE, 'g');
      const rows = (await chunksToEmbed(lite, MODEL)).map((c) => ({ chunkId: c.chunkId, embedding: wideVector(c.chunkId) }));
      expect(await writeModelVectors(lite, MODEL, rows)).toBe(current.length);
      await ensureModelIndex(lite, { model: MODEL, dimension: WIDE });
      await setModelState(lite, MODEL, 'ready');
      const target = current[5]!;
      expect((await search(lite, wideVector(target.chunkId), { k: 1, model: MODEL }))[0]!.chunkId).toBe(target.chunkId);
    } finally {
      await lite.close();
    }
  });
});
