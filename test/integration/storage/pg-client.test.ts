import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyError, isRetriable } from '../../../src/errors/pipeline-error.ts';
import { SqlError } from '../../../src/storage/errors.ts';
import { createPgClient } from '../../../src/storage/pg-client.ts';
import { createTestSchema, type TestSchema } from './fixtures.ts';

describe('pg SqlClient (real PostgreSQL)', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('pgclient');
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('searches its schema first and still finds the vector extension in public', async () => {
    const db = schema.client(1);
    await db.query('CREATE TABLE t (v vector(3))');
    const { rows } = await db.query<{ s: string; v: string }>(`SELECT current_schema() AS s, $1::text::vector AS v`, ['[1,2,3]']);
    expect(rows[0]).toEqual({ s: schema.name, v: '[1,2,3]' });
  });

  it('returns the last result of a parameterless multi-statement text', async () => {
    const db = schema.client(1);
    const r = await db.query('CREATE TEMP TABLE m (a int); INSERT INTO m VALUES (1), (2); SELECT a FROM m ORDER BY a');
    expect(r.rows).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('commits, rolls back on error, and joins an outer transaction', async () => {
    const db = schema.client(2);
    await db.query('CREATE TABLE tx (a int PRIMARY KEY)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx VALUES (1)');
      await tx.transaction((inner) => inner.query('INSERT INTO tx VALUES (2)'));
    });
    const error = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx VALUES (3)');
      await tx.query('INSERT INTO tx VALUES (1)'); // duplicate key
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqlError);
    expect((error as SqlError).sqlState).toBe('23505');
    expect(isRetriable(error)).toBe(false);
    expect((await db.query<{ a: number }>('SELECT a FROM tx ORDER BY a')).rows.map((r) => r.a)).toEqual([1, 2]);
  });

  it('reports an unreachable server as a retriable dependency failure', async () => {
    const db = createPgClient('postgres://postgres@127.0.0.1:1/postgres', { connectionTimeoutMs: 2_000 });
    try {
      const error = await db.query('SELECT 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyError);
      expect(isRetriable(error)).toBe(true);
      await expect(db.transaction(async () => 1)).rejects.toBeInstanceOf(DependencyError);
    } finally {
      await db.close();
      await db.close(); // idempotent
    }
  });

  it('reports a connection killed by the administrator mid-transaction as retriable, and recovers', async () => {
    const db = schema.client(1);
    const admin = schema.client(1);
    const error = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1::int)', [rows[0]!.pid]);
      await tx.query('SELECT 1');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(isRetriable(error)).toBe(true);
    // The broken connection was discarded: the pool serves a fresh one.
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
