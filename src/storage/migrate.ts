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
import { ConfigError, isRetriable } from '../errors/pipeline-error.ts';
import { SETTINGS, type SettledConfig } from '../config/schema.ts';
import type { SqlClient } from './sql-client.ts';

export interface HnswSettings {
  /** HNSW_M. @defaultValue the setting's default */
  m: number;
  /** HNSW_EF_CONSTRUCTION, at least 2m. @defaultValue the setting's default */
  efConstruction: number;
}

/** The defaults of HNSW_M and HNSW_EF_CONSTRUCTION (src/config/schema.ts holds the numbers and why). */
export const DEFAULT_HNSW: HnswSettings = { m: Number(SETTINGS.hnswM.default), efConstruction: Number(SETTINGS.hnswEfConstruction.default) };

export interface MigrateOptions {
  /** Embedding dimension (EMBED_DIM): the size of chunks.embedding and ministers.centroid. */
  dimension: number;
  /** Parameters of the vector index a new database gets. @defaultValue DEFAULT_HNSW */
  hnsw?: HnswSettings;
  /**
   * Apply migrations up to this version only (a staged upgrade, or a schema of an older
   * release, as the upgrade tests build one). @defaultValue every migration of this build
   */
  through?: number;
}

/** The schema settings of the configuration (the settled EMBED_DIM, HNSW_M, HNSW_EF_CONSTRUCTION). */
export function schemaSettings(config: Pick<SettledConfig, 'embedDim' | 'hnswM' | 'hnswEfConstruction'>): Required<Omit<MigrateOptions, 'through'>> {
  return { dimension: config.embedDim, hnsw: hnswSettings(config) };
}

/** The vector index settings of the configuration (HNSW_M, HNSW_EF_CONSTRUCTION). */
export function hnswSettings(config: Pick<SettledConfig, 'hnswM' | 'hnswEfConstruction'>): HnswSettings {
  return { m: config.hnswM, efConstruction: config.hnswEfConstruction };
}

/**
 * `WITH (m = …, ef_construction = …)` of an HNSW index.
 * @throws ConfigError when ef_construction < 2m (pgvector refuses it) or a value is out of range.
 */
export function hnswWith({ m, efConstruction }: HnswSettings = DEFAULT_HNSW): string {
  if (!Number.isInteger(m) || m < 2 || m > 100) throw new ConfigError(`HNSW_M=${m} is invalid: use an integer from 2 to 100 (pgvector's default is 16)`);
  if (!Number.isInteger(efConstruction) || efConstruction < 2 * m || efConstruction > 1000) {
    throw new ConfigError(`HNSW_EF_CONSTRUCTION=${efConstruction} is invalid with HNSW_M=${m}: use an integer from ${2 * m} (2 × HNSW_M) to 1000 (pgvector's default is 64)`);
  }
  return `WITH (m = ${m}, ef_construction = ${efConstruction})`;
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
export async function migrate(client: SqlClient, { dimension, hnsw = DEFAULT_HNSW, through = Infinity }: MigrateOptions): Promise<MigrateResult> {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16_000) {
    throw new ConfigError(`EMBED_DIM=${dimension} is invalid: set it to the embedding model's dimension, an integer from 1 to 16000 (e.g. 384 for all-minilm)`);
  }
  const withClause = hnswWith(hnsw);
  const migrations = listMigrations().filter((m) => m.version <= through);
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
      if (!skip) await tx.query(m.text.replaceAll('{{dim}}', String(dimension)).replaceAll('{{hnsw}}', withClause));
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
export async function ensureVectorIndex(client: SqlClient, hnsw: HnswSettings = DEFAULT_HNSW): Promise<void> {
  await client.query(`CREATE INDEX IF NOT EXISTS ${INDEX_NAME} ON chunks USING hnsw (embedding vector_cosine_ops) ${hnswWith(hnsw)}`);
}

/**
 * How to build an index: PostgreSQL's parallel maintenance workers and memory for the build, set
 * for the session, so give rebuildVectorIndex a client with one connection when using them.
 */
export interface IndexBuild {
  /** max_parallel_maintenance_workers for the build (pgvector ≥ 0.7 builds HNSW in parallel). */
  workers?: number;
  /** maintenance_work_mem for the build, e.g. '1GB' (the graph should fit, or the build slows down). */
  memory?: string;
}

/**
 * Rebuilds the HNSW index on chunks.embedding with `hnsw`, online on PostgreSQL: the new index is
 * built CONCURRENTLY beside the old one (search and the store stage go on), then one short
 * transaction swaps them. Returns the index definition now in place.
 */
export async function rebuildVectorIndex(client: SqlClient, hnsw: HnswSettings, build: IndexBuild = {}): Promise<string> {
  const current = await vectorIndexName(client);
  const next = `${current}_next`;
  const concurrently = client.kind === 'pg' ? 'CONCURRENTLY ' : '';
  // Session settings of this connection (CREATE INDEX CONCURRENTLY cannot run in a transaction,
  // so SET LOCAL is not available): the caller's client is its own, with one connection.
  if (build.workers !== undefined) await client.query(`SET max_parallel_maintenance_workers = ${Math.trunc(build.workers)}`);
  if (build.memory !== undefined) await client.query(`SELECT set_config('maintenance_work_mem', $1::text, false)`, [build.memory]);
  await client.query(`DROP INDEX ${concurrently}IF EXISTS ${next}`);
  // CREATE INDEX takes no schema: the index goes into its table's.
  await client.query(`CREATE INDEX ${concurrently}${INDEX_NAME}_next ON chunks USING hnsw (embedding vector_cosine_ops) ${hnswWith(hnsw)}`);
  // The swap takes an exclusive lock on chunks for an instant; it waits at most 5 s for it (so
  // search and the store stage never queue behind a long query for longer), then tries again.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.transaction(async (tx) => {
        if (client.kind === 'pg') await tx.query(`SET LOCAL lock_timeout = '5s'`);
        await tx.query(`DROP INDEX IF EXISTS ${current}`);
        await tx.query(`ALTER INDEX ${next} RENAME TO ${INDEX_NAME}`);
      });
      break;
    } catch (error) {
      // lock_timeout (55P03) comes back as a retriable DependencyError.
      if (!(isRetriable(error) && attempt < 10)) throw error;
    }
  }
  const { rows } = await client.query<{ def: string }>('SELECT pg_get_indexdef(to_regclass($1::text)) AS def', [current]);
  return rows[0]?.def ?? '';
}

/**
 * The quoted schema of the chunks table the search_path finds: index names are per schema, so
 * an unqualified DROP INDEX could reach another schema's index of the same name when this one
 * has none (a second store in the same database, the tests' schemas).
 */
async function chunksSchema(client: SqlClient): Promise<string> {
  const { rows } = await client.query<{ s: string }>(`SELECT quote_ident(n.nspname) AS s FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.oid = 'chunks'::regclass`);
  return rows[0]!.s;
}

/** The schema-qualified name of the vector index of the chunks table the search_path finds. */
export async function vectorIndexName(client: SqlClient): Promise<string> {
  return `${await chunksSchema(client)}.${INDEX_NAME}`;
}

/** True when the HNSW index on chunks.embedding exists. */
export async function hasVectorIndex(client: SqlClient): Promise<boolean> {
  const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass($1::text)::text AS t`, [await vectorIndexName(client)]);
  return Boolean(rows[0]?.t);
}
