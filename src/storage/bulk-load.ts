/**
 * Bulk mode for backfills and replays: every row inserted into an HNSW-indexed table pays the
 * index upkeep (the larger part of the store's PostgreSQL CPU per chunk), while building the
 * index once after the load costs a fraction of that and runs on parallel workers.
 *
 * - beginBulkLoad drops the vector index on chunks.embedding (concurrently: search and the store
 *   stage go on) and records the start in era_meta. Search stays complete meanwhile, by exact
 *   scan, only slower on a large table.
 * - finishBulkLoad builds the index with the given workers and memory, swaps it in
 *   (rebuildVectorIndex), and clears the record.
 *
 * PostgreSQL only: the embedded mode (PGlite) already loads without the index and builds it
 * after each run (ensureVectorIndex).
 */
import { ConfigError } from '../errors/pipeline-error.ts';
import { hasVectorIndex, rebuildVectorIndex, vectorIndexName, type HnswSettings, type IndexBuild } from './migrate.ts';
import type { SqlClient } from './sql-client.ts';

const KEY = 'bulk_load_since';

export interface BulkLoadState {
  /** Start of the bulk load in progress (ms epoch), undefined when none. */
  since?: number;
  /** Whether the vector index exists now. */
  indexed: boolean;
}

export async function bulkLoadState(client: SqlClient): Promise<BulkLoadState> {
  const { rows } = await client.query<{ value: string }>('SELECT value FROM era_meta WHERE key = $1::text', [KEY]);
  const since = rows[0] ? Number(rows[0].value) : undefined;
  return { ...(since !== undefined ? { since } : {}), indexed: await hasVectorIndex(client) };
}

/** Drops the vector index and records the bulk load (idempotent: a second call keeps the first start). */
export async function beginBulkLoad(client: SqlClient, now: number = Date.now()): Promise<BulkLoadState> {
  requirePostgres(client);
  await client.query('INSERT INTO era_meta (key, value) VALUES ($1::text, $2::text) ON CONFLICT (key) DO NOTHING', [KEY, String(now)]);
  await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${await vectorIndexName(client)}`);
  return bulkLoadState(client);
}

export interface FinishedBulkLoad {
  /** The index definition now in place. */
  definition: string;
  /** Seconds the index build and swap took. */
  seconds: number;
  /** Start of the bulk load it ended (ms epoch), undefined when none was recorded. */
  since?: number;
}

/** Builds the vector index (in parallel when `build.workers` > 0), swaps it in and ends the bulk load. */
export async function finishBulkLoad(client: SqlClient, hnsw: HnswSettings, build: IndexBuild): Promise<FinishedBulkLoad> {
  requirePostgres(client);
  const { since } = await bulkLoadState(client);
  const started = Date.now();
  const definition = await rebuildVectorIndex(client, hnsw, build);
  const seconds = (Date.now() - started) / 1000;
  await client.query('DELETE FROM era_meta WHERE key = $1::text', [KEY]);
  return { definition, seconds, ...(since !== undefined ? { since } : {}) };
}

function requirePostgres(client: SqlClient): void {
  if (client.kind !== 'pg') {
    throw new ConfigError('bulk loads are for PostgreSQL (DATABASE_URL): the embedded store already loads without the vector index and builds it after each run');
  }
}
