/**
 * Numbered SQL migrations (src/storage/migrations/NNN_name.sql), applied once, in order, in one
 * transaction under an advisory lock, recorded in `schema_migrations` (after BullMQ's
 * src/postgres migrations). Several processes may call `migrate` at once: the first applies,
 * the others wait for the lock and find nothing left to do.
 *
 * `{{dim}}` in a migration is replaced by the embedding dimension; a first line
 * `-- era:skip-on pglite` marks a migration that is recorded but not run on PGlite.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { ConfigError } from '../errors/pipeline-error.ts';
import type { SqlClient } from './sql-client.ts';

export interface MigrateOptions {
  /** Embedding dimension (EMBED_DIM): the size of chunks.embedding and ministers.centroid. */
  dimension: number;
}

export interface MigrateResult {
  /** File names applied by this call, in order (empty when the schema was up to date). */
  applied: string[];
  /** Embedding dimension of the database. */
  dimension: number;
}

interface Migration {
  version: number;
  file: string;
  text: string;
}

const DIR = new URL('./migrations/', import.meta.url);
const FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;
/** Two-key advisory lock space (distinct from the one-bigint space of the per-document locks). */
const LOCK = 'SELECT pg_advisory_xact_lock(hashtext(\'era-ingest\'), 1)';
const INDEX_NAME = 'chunks_embedding_hnsw';

/** Every migration shipped with this build, by version. */
export function listMigrations(): Migration[] {
  return readdirSync(DIR)
    .filter((f) => FILE.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), file, text: readFileSync(new URL(file, DIR), 'utf8') }));
}

/**
 * Brings the schema (the first schema of the search_path) up to date.
 * @throws ConfigError when `dimension` is not an integer in [1, 16000], or differs from the
 *   dimension the database was created with (the message says both and how to fix it).
 * @throws DependencyError / SqlError from the client.
 */
export async function migrate(client: SqlClient, { dimension }: MigrateOptions): Promise<MigrateResult> {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16_000) {
    throw new ConfigError(`EMBED_DIM=${dimension} is invalid: set it to the embedding model's dimension, an integer from 1 to 16000 (e.g. 384 for all-minilm)`);
  }
  const migrations = listMigrations();
  return client.transaction(async (tx) => {
    await tx.query(LOCK);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
    if (done.has(1)) {
      const stored = await storedDimension(tx);
      if (stored !== undefined && stored !== dimension) throw dimensionMismatch(stored, dimension);
    }
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      const skip = client.kind === 'pglite' && /^--\s*era:skip-on\s+pglite\b/m.test(m.text.split('\n', 1)[0] ?? '');
      if (!skip) await tx.query(m.text.replaceAll('{{dim}}', String(dimension)));
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2::text)', [m.version, m.file]);
      applied.push(m.file);
    }
    return { applied, dimension };
  });
}

/** Embedding dimension recorded in the database, or undefined before the first migration. */
export async function readDimension(client: SqlClient): Promise<number | undefined> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return undefined;
  return storedDimension(client);
}

async function storedDimension(client: SqlClient): Promise<number | undefined> {
  const { rows } = await client.query<{ value: string }>(
    `SELECT value FROM era_meta WHERE key = 'embedding_dimension'`);
  return rows[0] ? Number(rows[0].value) : undefined;
}

function dimensionMismatch(stored: number, asked: number): ConfigError {
  return new ConfigError(
    `EMBED_DIM=${asked} does not match the database, whose chunks.embedding column is vector(${stored}) ` +
    `(recorded in era_meta when the schema was created). Either set EMBED_DIM=${stored} (and an embedding ` +
    `model of that dimension), or point DATABASE_URL / --data-dir at a new, empty database (or drop the ` +
    `schema) and re-ingest by replaying era.raw.`);
}

/**
 * Builds the HNSW cosine index on chunks.embedding if it does not exist yet. On PostgreSQL the
 * migration already created it; on PGlite call this after a bulk load (building once is far
 * cheaper than inserting into an indexed table). Search works without it, by exact scan.
 * May take long on a large table; blocks writes to chunks meanwhile.
 */
export async function ensureVectorIndex(client: SqlClient): Promise<void> {
  await client.query(`CREATE INDEX IF NOT EXISTS ${INDEX_NAME} ON chunks USING hnsw (embedding vector_cosine_ops)`);
}

/** True when the HNSW index on chunks.embedding exists. */
export async function hasVectorIndex(client: SqlClient): Promise<boolean> {
  const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass($1::text)::text AS t`, [INDEX_NAME]);
  return Boolean(rows[0]?.t);
}
