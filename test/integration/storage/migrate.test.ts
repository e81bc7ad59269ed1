import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { hasVectorIndex, listMigrations, migrate, readDimension, rebuildVectorIndex } from '../../../src/storage/migrate.ts';
import { createTestSchema, type TestSchema } from './fixtures.ts';

describe('storage migrations (real PostgreSQL)', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('migrate');
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('applies every migration once even when two clients migrate at the same time', async () => {
    const [a, b] = [schema.client(1), schema.client(1)];
    const results = await Promise.all([migrate(a, { dimension: 8 }), migrate(b, { dimension: 8 })]);
    const all = listMigrations().map((m) => m.file);
    // One of them applied everything, the other found nothing left to do.
    expect(results.map((r) => r.applied).sort((x, y) => y.length - x.length)).toEqual([all, []]);
    const { rows } = await a.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));
    expect(await readDimension(a)).toBe(8);
  });

  it('is idempotent', async () => {
    const c = schema.client(1);
    expect((await migrate(c, { dimension: 8 })).applied).toEqual([]);
    expect((await migrate(c, { dimension: 8 })).applied).toEqual([]);
  });

  it('creates the contract tables, vector(D) columns and the HNSW index on PostgreSQL', async () => {
    const c = schema.client(1);
    const { rows } = await c.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1::text ORDER BY 1`, [schema.name]);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(
      ['chunks', 'documents', 'era_meta', 'jobs', 'minister_categories', 'ministers', 'schema_migrations']));
    const types = await c.query<{ t: string }>(
      `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'`);
    expect(types.rows[0]?.t).toBe('vector(8)');
    expect(await hasVectorIndex(c)).toBe(true);
  });

  it('refuses a different embedding dimension with a message naming both and the fix', async () => {
    const c = schema.client(1);
    const error = await migrate(c, { dimension: 384 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toMatch(/EMBED_DIM=384/);
    expect((error as Error).message).toMatch(/vector\(8\)/);
    expect((error as Error).message).toMatch(/set EMBED_DIM=8/);
  });

  it('rejects an invalid dimension before touching the database', async () => {
    await expect(migrate(schema.client(1), { dimension: 0 })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('HNSW parameters (HNSW_M, HNSW_EF_CONSTRUCTION) on PostgreSQL', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('hnsw');
  });
  afterAll(async () => {
    await schema.drop();
  });
  const indexDef = async (c: ReturnType<TestSchema['client']>) =>
    (await c.query<{ def: string }>(`SELECT pg_get_indexdef('chunks_embedding_hnsw'::regclass) AS def`)).rows[0]!.def;

  it('refuses ef_construction under 2m before touching the database', async () => {
    const c = schema.client(1);
    await expect(migrate(c, { dimension: 8, hnsw: { m: 16, efConstruction: 20 } })).rejects.toThrow(/HNSW_EF_CONSTRUCTION=20 is invalid with HNSW_M=16: use an integer from 32/);
    const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`, [schema.name]);
    expect(rows[0]!.n).toBe(0);
  });

  it('creates a new database\'s index with them, and rebuilds an existing one online with others', async () => {
    const c = schema.client(2);
    await migrate(c, { dimension: 8, hnsw: { m: 8, efConstruction: 32 } });
    expect(await indexDef(c)).toMatch(/USING hnsw \(embedding vector_cosine_ops\) WITH \(m='8', ef_construction='32'\)/);
    await c.query(`INSERT INTO chunks (chunk_id, doc_id, content_hash, doc_version, seq, text, token_count, embedding, model, minister_id, updated_at)
      SELECT 'c' || i, 'd', 'h', 1, i, 't', 1, ('[' || array_to_string(ARRAY(SELECT sin(i * j) FROM generate_series(1, 8) j), ',') || ']')::vector, 'm', 'general', now()
      FROM generate_series(1, 300) i`);
    const definition = await rebuildVectorIndex(c, { m: 12, efConstruction: 48 });
    expect(definition).toMatch(/WITH \(m='12', ef_construction='48'\)/);
    expect(await indexDef(c)).toBe(definition);
    const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'chunks' AND indexname LIKE 'chunks_embedding_hnsw%' AND schemaname = $1`, [schema.name]);
    expect(rows[0]!.n).toBe(1);
  });
});
