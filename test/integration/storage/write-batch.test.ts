import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/storage/migrate.ts';
import type { PgClient } from '../../../src/storage/pg-client.ts';
import { documentChunks } from '../../../src/storage/search.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { createTestSchema, deleteOf, makeDoc, type TestSchema } from './fixtures.ts';

const DIM = 16;
const NOW = 1_750_000_000_000;

describe('writeBatch (real PostgreSQL)', () => {
  let schema: TestSchema;
  let db: PgClient;
  beforeAll(async () => {
    schema = await createTestSchema('store');
    db = schema.client(4);
    await migrate(db, { dimension: DIM });
  });
  afterAll(async () => {
    await schema.drop();
  });

  const doc = (docId: string, version: number, count: number, content?: string) =>
    makeDoc({ docId, version, count, dim: DIM, ...(content !== undefined ? { content } : {}), jobId: `job-${version}` });

  it('upserts a batch with duplicate chunk ids once each, the last duplicate winning', async () => {
    const chunks = doc('dup', 1, 3);
    const changed = { ...chunks[1]!, text: 'the last duplicate' };
    const events = await writeBatch(db, [...chunks, chunks[1]!, changed], { now: NOW });
    expect(events).toEqual([{ id: 'dup', version: 1, chunks: 3, jobId: 'job-1', storedAt: NOW }]);
    const rows = await documentChunks(db, 'dup');
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(rows[1]!.text).toBe('the last duplicate');
  });

  it('makes a document visible only when the batch holding its last missing chunk commits', async () => {
    const chunks = doc('three', 1, 9);
    // Out of order across batches: the last seq arrives first.
    expect(await writeBatch(db, chunks.slice(6), { now: NOW })).toEqual([]);
    expect(await documentChunks(db, 'three')).toEqual([]);
    expect(await writeBatch(db, chunks.slice(0, 3), { now: NOW })).toEqual([]);
    expect(await documentChunks(db, 'three')).toEqual([]);
    const events = await writeBatch(db, chunks.slice(3, 6), { now: NOW });
    expect(events).toEqual([{ id: 'three', version: 1, chunks: 9, jobId: 'job-1', storedAt: NOW }]);
    expect((await documentChunks(db, 'three')).length).toBe(9);
  });

  it('replaces the old version chunks and leaves no stale chunk behind', async () => {
    await writeBatch(db, doc('replace', 1, 5), { now: NOW });
    const events = await writeBatch(db, doc('replace', 2, 3), { now: NOW + 1 });
    expect(events.map((e) => [e.id, e.version, e.chunks])).toEqual([['replace', 2, 3]]);
    const current = await documentChunks(db, 'replace');
    expect(current.map((c) => c.version)).toEqual([2, 2, 2]);
    const all = await db.query(`SELECT 1 FROM chunks WHERE doc_id = 'replace'`);
    expect(all.rowCount).toBe(3);
    const d = await db.query<{ version: string; chunk_count: number; job_id: string }>(`SELECT version, chunk_count, job_id FROM documents WHERE doc_id = 'replace'`);
    expect(d.rows[0]).toMatchObject({ version: '2', chunk_count: 3, job_id: 'job-2' });
  });

  it('ignores an older version that arrives late, complete or partial', async () => {
    await writeBatch(db, doc('late', 5, 4), { now: NOW });
    expect(await writeBatch(db, doc('late', 3, 4), { now: NOW + 1 })).toEqual([]);
    expect(await writeBatch(db, doc('late', 4, 2).slice(0, 1), { now: NOW + 1 })).toEqual([]);
    const all = await db.query<{ doc_version: string }>(`SELECT DISTINCT doc_version FROM chunks WHERE doc_id = 'late'`);
    expect(all.rows.map((r) => Number(r.doc_version))).toEqual([5]);
    expect((await documentChunks(db, 'late')).every((c) => c.version === 5)).toBe(true);
  });

  it('advances an unchanged document without touching its chunks; one event per batch holding its last chunk', async () => {
    await writeBatch(db, doc('same', 1, 4, 'A'), { now: NOW });
    const rows = async (t: 'chunks' | 'documents') => (await db.query(
      t === 'chunks'
        ? `SELECT chunk_id AS id, xmin::text AS x, updated_at FROM chunks WHERE doc_id = 'same' ORDER BY 1`
        : `SELECT doc_id AS id, version, job_id, xmin::text AS x, updated_at FROM documents WHERE doc_id = 'same'`)).rows;
    const chunksBefore = await rows('chunks');
    const republished = doc('same', 2, 4, 'A'); // new version, same content
    const events = await writeBatch(db, [...republished, ...republished], { now: NOW + 10 });
    expect(events).toEqual([{ id: 'same', version: 2, chunks: 4, jobId: 'job-2', storedAt: NOW + 10 }]);
    expect(await rows('chunks')).toEqual(chunksBefore); // no chunk row written
    const advanced = await rows('documents');
    expect(advanced[0]).toMatchObject({ version: '2', job_id: 'job-2' });
    // A redelivered slice without the last chunk is silent.
    expect(await writeBatch(db, republished.slice(0, 2), { now: NOW + 20 })).toEqual([]);
    expect(await rows('chunks')).toEqual(chunksBefore);
    expect(await rows('documents')).toEqual(advanced);
  });

  it('deletes a document with all its chunks, pending ones included, and lets a later version back', async () => {
    await writeBatch(db, doc('del', 1, 3), { now: NOW });
    await writeBatch(db, doc('del', 2, 3).slice(0, 2), { now: NOW }); // pending v2
    const events = await writeBatch(db, [deleteOf('del', 3, 'job-del')], { now: NOW + 1 });
    expect(events).toEqual([{ id: 'del', version: 3, chunks: 0, jobId: 'job-del', storedAt: NOW + 1, deleted: true }]);
    expect((await db.query(`SELECT 1 FROM documents WHERE doc_id = 'del'`)).rowCount).toBe(0);
    expect((await db.query(`SELECT 1 FROM chunks WHERE doc_id = 'del'`)).rowCount).toBe(0);
    // The rest of the deleted pending version arrives late: ignored.
    expect(await writeBatch(db, doc('del', 2, 3), { now: NOW + 2 })).toEqual([]);
    expect((await db.query(`SELECT 1 FROM chunks WHERE doc_id = 'del'`)).rowCount).toBe(0);
    // A stale delete is ignored too; a newer publish comes back.
    expect(await writeBatch(db, doc('del', 4, 2), { now: NOW + 3 })).toHaveLength(1);
    expect(await writeBatch(db, [deleteOf('del', 3)], { now: NOW + 4 })).toEqual([]);
    expect((await documentChunks(db, 'del')).map((c) => c.version)).toEqual([4, 4]);
  });

  it('applies a delete and a re-publish of the same content within one batch, in order', async () => {
    await writeBatch(db, doc('redo', 1, 2, 'X'), { now: NOW });
    const events = await writeBatch(db, [deleteOf('redo', 2), ...doc('redo', 3, 2, 'X')], { now: NOW + 1 });
    expect(events.map((e) => [e.version, e.deleted ?? false])).toEqual([[2, true], [3, false]]);
    expect((await documentChunks(db, 'redo')).map((c) => c.version)).toEqual([3, 3]);
  });

  it('flips to the newest complete version when a batch holds several', async () => {
    const events = await writeBatch(db, [...doc('multi', 1, 2), ...doc('multi', 2, 3)], { now: NOW });
    expect(events.map((e) => e.version)).toEqual([1, 2]);
    expect((await documentChunks(db, 'multi')).map((c) => c.version)).toEqual([2, 2, 2]);
    expect((await db.query(`SELECT 1 FROM chunks WHERE doc_id = 'multi'`)).rowCount).toBe(3);
  });

  it('keeps a newer pending version when an older one completes', async () => {
    const v2 = doc('order', 2, 2);
    await writeBatch(db, doc('order', 3, 2).slice(0, 1), { now: NOW }); // v3 pending
    await writeBatch(db, v2, { now: NOW });
    expect((await documentChunks(db, 'order')).map((c) => c.version)).toEqual([2, 2]);
    const events = await writeBatch(db, doc('order', 3, 2).slice(1), { now: NOW });
    expect(events.map((e) => e.version)).toEqual([3]);
    expect((await documentChunks(db, 'order')).map((c) => c.version)).toEqual([3, 3]);
  });
});
