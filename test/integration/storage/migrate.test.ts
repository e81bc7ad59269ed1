import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { hasVectorIndex, listMigrations, migrate, readDimension } from '../../../src/storage/migrate.ts';
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
