import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pgvector from 'pgvector/pg';
import { databaseUrl } from '../helpers/services.ts';
import { uniqueName } from '../helpers/names.ts';

/** Deterministic pseudo-random unit vectors (mulberry32), so the test is reproducible. */
function vectors(count: number, dim: number, seed: number): number[][] {
  let a = seed;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const v = Array.from({ length: dim }, rand);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const cosineDistance = (a: number[], b: number[]): number => 1 - a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('local PostgreSQL with pgvector (real, started by infra/postgres/postgres.sh)', () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  const table = uniqueName('smoke').replaceAll('-', '_');

  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('runs an HNSW cosine query whose order matches exact distances', async () => {
    await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
    const client = await pool.connect();
    await pgvector.registerTypes(client);
    try {
      await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, embedding vector(16))`);
      const rows = vectors(300, 16, 7);
      const params = rows.flatMap((v, i) => [i, pgvector.toSql(v)]);
      const values = rows.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(',');
      await client.query(`INSERT INTO ${table} (id, embedding) VALUES ${values}`, params);
      await client.query(`CREATE INDEX ON ${table} USING hnsw (embedding vector_cosine_ops)`);

      const [query] = vectors(1, 16, 99);
      await client.query('SET enable_seqscan = off');
      const plan = await client.query(
        `EXPLAIN SELECT id FROM ${table} ORDER BY embedding <=> $1 LIMIT 10`, [pgvector.toSql(query!)]);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/hnsw|Index Scan/i);

      const result = await client.query(
        `SELECT id, embedding <=> $1 AS distance FROM ${table} ORDER BY embedding <=> $1 LIMIT 10`,
        [pgvector.toSql(query!)]);
      const expected = rows
        .map((v, id) => ({ id, distance: cosineDistance(v, query!) }))
        .sort((x, y) => x.distance - y.distance)
        .slice(0, 10);
      expect(result.rows.map((r) => r.id)).toEqual(expected.map((e) => e.id));
      result.rows.forEach((r, i) => expect(r.distance).toBeCloseTo(expected[i]!.distance, 5));
    } finally {
      client.release();
    }
  });
});
