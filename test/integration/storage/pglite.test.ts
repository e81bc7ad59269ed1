import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { SqlError } from '../../../src/storage/errors.ts';
import { ensureVectorIndex, hasVectorIndex, migrate } from '../../../src/storage/migrate.ts';
import { createPgliteClient, type PgliteClient } from '../../../src/storage/pglite-client.ts';
import { documentChunks, search } from '../../../src/storage/search.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { createTestSchema, makeDoc, type TestSchema } from './fixtures.ts';
import { runCoreScenario, SCENARIO_DIM } from './scenario.ts';

describe('storage on PGlite (in-process WASM PostgreSQL + pgvector)', () => {
  let lite: PgliteClient;
  let schema: TestSchema;
  beforeAll(async () => {
    lite = await createPgliteClient();
    schema = await createTestSchema('pglite_cmp');
  });
  afterAll(async () => {
    await lite.close();
    await schema.drop();
  });

  it('migrates without the HNSW index (built later by ensureVectorIndex)', async () => {
    expect((await migrate(lite, { dimension: SCENARIO_DIM })).applied.length).toBeGreaterThan(0);
    expect((await migrate(lite, { dimension: SCENARIO_DIM })).applied).toEqual([]);
    expect(await hasVectorIndex(lite)).toBe(false);
  });

  it('runs the core flip/search scenario exactly like the real PostgreSQL', async () => {
    const pgClient = schema.client(2);
    await migrate(pgClient, { dimension: SCENARIO_DIM });
    const [onLite, onPg] = [await runCoreScenario(lite), await runCoreScenario(pgClient)];
    expect(onLite).toEqual(onPg);
    // Spot checks that the transcript says what it should.
    const byLabel = new Map(onLite.map((entry) => [(entry as [string])[0], entry as unknown[]]));
    expect(byLabel.get('after part 1')![1]).toEqual([]);
    expect((byLabel.get('after part 3')![1] as unknown[]).length).toBe(9);
    expect((byLabel.get('unchanged')![1] as unknown[]).length).toBe(1);
    expect(byLabel.get('late old')![1]).toEqual([]);
  });

  it('keeps search working after the index is built, and skips it when present', async () => {
    const target = makeDoc({ docId: 'o-3', version: 1, count: 5, dim: SCENARIO_DIM, minister: 'finance', category: 'c' })[2]!;
    const before = await search(lite, target.embedding, { k: 1 });
    await ensureVectorIndex(lite);
    await ensureVectorIndex(lite);
    expect(await hasVectorIndex(lite)).toBe(true);
    expect(await search(lite, target.embedding, { k: 1 })).toEqual(before);
    expect(before[0]!.chunkId).toBe(target.chunkId);
  });

  it('persists in a data directory and refuses another dimension on reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'era-pglite-'));
    try {
      const first = await createPgliteClient({ dataDir: dir });
      await migrate(first, { dimension: 8 });
      await writeBatch(first, makeDoc({ docId: 'kept', version: 1, count: 3, dim: 8 }), { now: 1 });
      await first.close();
      await first.close(); // idempotent

      const second = await createPgliteClient({ dataDir: dir });
      try {
        expect((await migrate(second, { dimension: 8 })).applied).toEqual([]);
        expect((await documentChunks(second, 'kept')).length).toBe(3);
        await expect(migrate(second, { dimension: 16 })).rejects.toBeInstanceOf(ConfigError);
        // A wrong-size embedding is a non-retriable SQL error, and the batch leaves nothing behind.
        const error = await writeBatch(second, makeDoc({ docId: 'bad', version: 1, count: 2, dim: 4 }), { now: 2 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SqlError);
        expect((error as SqlError).retriable).toBe(false);
        expect((await second.query(`SELECT 1 FROM chunks WHERE doc_id = 'bad'`)).rowCount).toBe(0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
