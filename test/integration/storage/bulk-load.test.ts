/**
 * Bulk mode on a real PostgreSQL: `begin` drops the vector index and records the load, search
 * stays complete by exact scan while chunks are written without the index, `end` builds the
 * index (parallel workers, given memory) and swaps it in; the CLI says what it did and refuses
 * bad options and the embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginBulkLoad, bulkLoadState, finishBulkLoad } from '../../../src/storage/bulk-load.ts';
import { hasVectorIndex, migrate } from '../../../src/storage/migrate.ts';
import { search } from '../../../src/storage/search.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { runCli } from '../../helpers/processes.ts';
import { createTestSchema, makeDoc, type TestSchema } from './fixtures.ts';

const DIM = 16;

describe('bulk loads (real PostgreSQL)', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('bulk');
    await migrate(schema.client(1), { dimension: DIM });
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('drops the index for the load, keeps search complete, then builds the index with the given workers and swaps it in', async () => {
    const c = schema.client(1); // one connection: the build's session settings apply to it
    const before = makeDoc({ docId: 'before', version: 1, count: 40, dim: DIM });
    await writeBatch(c, before, { now: 1 });
    expect(await hasVectorIndex(c)).toBe(true);

    const begun = await beginBulkLoad(c, 1_000);
    expect(begun).toEqual({ since: 1_000, indexed: false });
    // A second begin keeps the first start.
    expect(await beginBulkLoad(c, 2_000)).toEqual({ since: 1_000, indexed: false });

    const during = makeDoc({ docId: 'during', version: 1, count: 200, dim: DIM });
    await writeBatch(c, during, { now: 2 });
    // Exact scan: every chunk finds itself first, old and new.
    for (const chunk of [before[7]!, during[0]!, during[199]!]) {
      const [hit] = await search(c, chunk.embedding, { k: 1 });
      expect(hit?.chunkId).toBe(chunk.chunkId);
    }

    const done = await finishBulkLoad(c, { m: 8, efConstruction: 32 }, { workers: 1, memory: '64MB' });
    expect(done.since).toBe(1_000);
    expect(done.definition).toMatch(/USING hnsw \(embedding vector_cosine_ops\) WITH \(m='8', ef_construction='32'\)/);
    expect(await bulkLoadState(c)).toEqual({ indexed: true });
    const plan = await c.transaction(async (tx) => {
      // PostgreSQL 18 counts disabled plan nodes instead of pricing them out: forbid the sort
      // too, or an index scan in key order plus a sort wins on a table this small.
      for (const node of ['seqscan', 'bitmapscan', 'sort']) await tx.query(`SET LOCAL enable_${node} = off`);
      return tx.query(`EXPLAIN SELECT chunk_id FROM chunks ORDER BY embedding <=> (SELECT embedding FROM chunks LIMIT 1) LIMIT 5`);
    });
    expect(JSON.stringify(plan.rows)).toContain('chunks_embedding_hnsw');
    const [hit] = await search(c, during[42]!.embedding, { k: 1 });
    expect(hit?.chunkId).toBe(during[42]!.chunkId);
  });

  it('runs as `era-ingest db bulk-load begin|end`, and refuses a bad step, bad options and the embedded store', async () => {
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, EMBEDDER: 'hash', EMBED_DIM: String(DIM), LOG_LEVEL: 'warn' };
    try {
      expect((await runCli(['db', 'migrate'], env)).code).toBe(0);
      const begin = await runCli(['db', 'bulk-load', 'begin'], env);
      expect(begin.code, begin.output).toBe(0);
      expect(begin.output).toMatch(/^bulk load since \d{4}-\d\d-\d\dT.*: vector index dropped; search scans exactly until `era-ingest db bulk-load end`$/m);
      const end = await runCli(['db', 'bulk-load', 'end', '--workers', '1', '--memory', '128MB', '--json'], env);
      expect(end.code, end.output).toBe(0);
      const result = JSON.parse(end.output) as { step: string; definition: string; workers: number; since?: string };
      expect(result).toMatchObject({ step: 'end', workers: 1 });
      expect(result.since).toMatch(/^\d{4}-/);
      expect(result.definition).toMatch(/WITH \(m='12', ef_construction='48'\)/);

      const step = await runCli(['db', 'bulk-load', 'start'], env);
      expect(step).toMatchObject({ code: 2 });
      expect(step.output).toContain('bulk-load "start": the step is begin or end');
      const workers = await runCli(['db', 'bulk-load', 'end', '--workers', 'many'], env);
      expect(workers.code).toBe(2);
      expect(workers.output).toContain('--workers many is invalid');
      const memory = await runCli(['db', 'bulk-load', 'end', '--memory', 'lots'], env);
      expect(memory.code).toBe(2);
      expect(memory.output).toContain('--memory lots is invalid');
      const embedded = await runCli(['db', 'bulk-load', 'begin'], { ...env, DATABASE_URL: '' });
      expect(embedded.code).toBe(2);
      expect(embedded.output).toContain('set DATABASE_URL (or --db) to the PostgreSQL of the pipeline');
    } finally {
      await db.drop();
    }
  });
});
