/**
 * Vector sets of other embedding models (`era-ingest reembed --model <m>`): one row per
 * (chunk, model) in `chunk_vectors`, registered in `embedding_models` (migration 004).
 *
 * `chunks.embedding` keeps the vectors the pipeline stored; a re-embedding fills a second set
 * beside it, so search keeps answering from the first while the second is built. Search picks
 * the set by the model of its query vector (./search.ts). Vectors of different models may have
 * different dimensions: each model's set is indexed by a partial HNSW index over
 * `embedding::vector(<dimension>)`, built after the bulk load (building once is far cheaper
 * than inserting into an indexed table).
 */
import { createHash } from 'node:crypto';
import { escapeLiteral } from 'pg';
import { ConfigError } from '../errors/pipeline-error.ts';
import { SqlError } from './errors.ts';
import { documentFilterSql } from './search-filters.ts';
import { DEFAULT_HNSW, hnswWith, readDimension, type HnswSettings } from './migrate.ts';
import type { SqlClient } from './sql-client.ts';
import { toVectorText } from './vector-text.ts';

export type ModelState = 'building' | 'ready';

/** foreign_key_violation: the referenced chunk was deleted concurrently. */
const FK_VIOLATION = '23503';

/**
 * Runs a statement that writes vectors of chunks, again (up to 3 times) when the store stage
 * deleted one of those chunks (new version, tombstone) while it ran: the redo no longer sees it.
 */
async function redoOnDeletedChunk<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof SqlError && error.sqlState === FK_VIOLATION && attempt < 3)) throw error;
    }
  }
}

export interface EmbeddingModel {
  model: string;
  dimension: number;
  state: ModelState;
  /** Consumer group of the reembed process that fills the set. */
  consumerGroup: string;
  startedAt: Date;
  readyAt: Date | null;
}

export interface EmbeddingModelStatus extends EmbeddingModel {
  /** Vectors of current chunks in the set. */
  vectors: number;
  /** Current chunks without a vector of this model. */
  missing: number;
}

/** A current chunk without a vector of the model, with what its re-embedding message needs. */
export interface ChunkToEmbed {
  chunkId: string;
  docId: string;
  version: number;
  contentHash: string;
  title: string | null;
  seq: number;
  count: number;
  text: string;
  tokenCount: number;
  headingPath: string[];
}

interface ModelRow {
  model: string;
  dimension: number;
  state: ModelState;
  consumer_group: string;
  started_at: Date | string;
  ready_at: Date | string | null;
}

const toModel = (r: ModelRow): EmbeddingModel => ({
  model: r.model,
  dimension: Number(r.dimension),
  state: r.state,
  consumerGroup: r.consumer_group,
  startedAt: new Date(r.started_at),
  readyAt: r.ready_at === null ? null : new Date(r.ready_at),
});

/**
 * A model name as a SQL string literal, quoted by the driver's own function (node-postgres'
 * `escapeLiteral`: doubles quotes, and switches to an E'' literal when backslashes are present).
 * Only where a parameter cannot go: the predicate of a partial index (DDL takes no parameters)
 * and the search over it (the planner proves the index usable only from a constant).
 */
export function sqlLiteral(text: string): string {
  if (text.includes('\u0000')) throw new ConfigError('a model name cannot contain NUL');
  return escapeLiteral(text);
}

/** Name of the partial HNSW index of one model's set (identifiers stay short and plain). */
export function modelIndexName(model: string): string {
  return `chunk_vectors_hnsw_${createHash('sha256').update(model).digest('hex').slice(0, 16)}`;
}

function checkDimension(dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16_000) {
    throw new ConfigError(`the embedding dimension ${dimension} is invalid: it must be an integer from 1 to 16000`);
  }
}

/** The registered model, or undefined. */
export async function getModel(client: SqlClient, model: string): Promise<EmbeddingModel | undefined> {
  const { rows } = await client.query<ModelRow>(
    'SELECT model, dimension, state, consumer_group, started_at, ready_at FROM embedding_models WHERE model = $1::text', [model]);
  return rows[0] ? toModel(rows[0]) : undefined;
}

/**
 * The registered model with the dimension of chunks.embedding, in one query (search asks for it
 * on every call); undefined when not registered.
 */
export async function getModelForSearch(client: SqlClient, model: string): Promise<(EmbeddingModel & { columnDimension: number }) | undefined> {
  const { rows } = await client.query<ModelRow & { column_dimension: string | null }>(
    `SELECT model, dimension, state, consumer_group, started_at, ready_at,
            (SELECT value FROM era_meta WHERE key = 'embedding_dimension') AS column_dimension
     FROM embedding_models WHERE model = $1::text`, [model]);
  return rows[0] ? { ...toModel(rows[0]), columnDimension: Number(rows[0].column_dimension) } : undefined;
}

/**
 * Registers `model` (state building) or returns it as registered.
 * @throws ConfigError when it is registered with another dimension.
 */
export async function registerModel(client: SqlClient, model: string, dimension: number, consumerGroup: string): Promise<EmbeddingModel> {
  checkDimension(dimension);
  await client.query(
    `INSERT INTO embedding_models (model, dimension, state, consumer_group) VALUES ($1::text, $2::int, 'building', $3::text)
     ON CONFLICT (model) DO NOTHING`, [model, dimension, consumerGroup]);
  const found = (await getModel(client, model))!;
  if (found.dimension !== dimension) {
    throw new ConfigError(`model ${model} is registered with dimension ${found.dimension}, but it now returns vectors of ${dimension}: ` +
      `drop its vectors first (era-ingest reembed --model ${model} --drop), then re-embed`);
  }
  return found;
}

/** Sets the state; `ready` also records when. */
export async function setModelState(client: SqlClient, model: string, state: ModelState): Promise<void> {
  await client.query(
    `UPDATE embedding_models SET state = $2::text, updated_at = now(),
       ready_at = CASE WHEN $2::text = 'ready' THEN now() ELSE ready_at END
     WHERE model = $1::text`, [model, state]);
}

/** Removes a model's set (its vectors and index go with it). Returns false when it was not registered. */
export async function dropModel(client: SqlClient, model: string): Promise<boolean> {
  await client.query(`DROP INDEX IF EXISTS ${modelIndexName(model)}`);
  return (await client.query('DELETE FROM embedding_models WHERE model = $1::text', [model])).rowCount > 0;
}

/** Every registered model with its progress over current chunks. */
export async function listModels(client: SqlClient): Promise<EmbeddingModelStatus[]> {
  const { rows } = await client.query<ModelRow & { vectors: unknown; missing: unknown }>(
    `SELECT m.model, m.dimension, m.state, m.consumer_group, m.started_at, m.ready_at,
            count(v.chunk_id) AS vectors, count(*) FILTER (WHERE c.chunk_id IS NOT NULL AND v.chunk_id IS NULL) AS missing
     FROM embedding_models m
     LEFT JOIN (chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash) ON true
     LEFT JOIN chunk_vectors v ON v.chunk_id = c.chunk_id AND v.model = m.model
     GROUP BY m.model ORDER BY m.model`);
  return rows.map((r) => ({ ...toModel(r), vectors: Number(r.vectors), missing: Number(r.missing) }));
}

/**
 * Copies vectors that `chunks.embedding` already holds for `model` (chunks the pipeline embedded
 * with it, e.g. after its EMBED_MODEL was switched) into the set: no embedding call needed.
 * Returns the number copied.
 */
export async function copyStoredVectors(client: SqlClient, model: string, dimension: number): Promise<number> {
  if ((await readDimension(client)) !== dimension) return 0;
  return redoOnDeletedChunk(async () => (await client.query(
    `INSERT INTO chunk_vectors (chunk_id, model, embedding, updated_at)
     SELECT c.chunk_id, c.model, c.embedding::vector, now() FROM chunks c
     WHERE c.model = $1::text
       AND NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.chunk_id = c.chunk_id AND v.model = $1::text)
     ON CONFLICT (chunk_id, model) DO NOTHING`, [model])).rowCount);
}

/**
 * Current chunks (of each document's current version) without a vector of `model`, in chunk id
 * order after `after` (keyset pagination), at most `limit`; `exclude` ids are skipped (chunks
 * that could not be embedded in this run).
 */
export async function chunksToEmbed(client: SqlClient, model: string, { after = '', limit = 1000, exclude = [] }: { after?: string; limit?: number; exclude?: readonly string[] } = {}): Promise<ChunkToEmbed[]> {
  const { rows } = await client.query<{ chunk_id: string; doc_id: string; version: unknown; content_hash: string; title: string | null; seq: number; count: number; text: string; token_count: number; heading_path: string[] | null }>(
    `SELECT c.chunk_id, c.doc_id, d.version, c.content_hash, d.title, c.seq, d.chunk_count AS count, c.text, c.token_count, c.heading_path
     FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     WHERE c.chunk_id > $2::text
       AND NOT (c.chunk_id = ANY($4::text[]))
       AND NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.chunk_id = c.chunk_id AND v.model = $1::text)
     ORDER BY c.chunk_id LIMIT $3::int`, [model, after, limit, [...exclude]]);
  return rows.map((r) => ({
    chunkId: r.chunk_id, docId: r.doc_id, version: Number(r.version), contentHash: r.content_hash, title: r.title,
    seq: Number(r.seq), count: Number(r.count), text: r.text, tokenCount: Number(r.token_count), headingPath: r.heading_path ?? [],
  }));
}

/**
 * Upserts vectors of `model` in one statement. Chunks deleted meanwhile (a new version, a
 * tombstone) are skipped, so a late vector never resurrects anything (one deleted while the
 * statement runs makes it run again). Returns rows written.
 * @throws ValidationError for a non-finite component.
 */
export async function writeModelVectors(client: SqlClient, model: string, vectors: ReadonlyArray<{ chunkId: string; embedding: Float32Array }>): Promise<number> {
  if (vectors.length === 0) return 0;
  const latest = new Map(vectors.map((v) => [v.chunkId, v.embedding]));
  const ids = [...latest.keys()];
  const texts = ids.map((id) => toVectorText(latest.get(id)!, `embedding of chunk ${id}`));
  return redoOnDeletedChunk(async () => (await client.query(
    `INSERT INTO chunk_vectors (chunk_id, model, embedding, updated_at)
     SELECT u.chunk_id, $1::text, u.embedding::vector, now()
     FROM unnest($2::text[], $3::text[]) AS u(chunk_id, embedding)
     JOIN chunks c ON c.chunk_id = u.chunk_id
     ON CONFLICT (chunk_id, model) DO UPDATE SET embedding = excluded.embedding, updated_at = excluded.updated_at`,
    [model, ids, texts])).rowCount);
}

/**
 * Builds the partial HNSW index of `model`'s set if missing. On PostgreSQL it is built
 * CONCURRENTLY, so neither search nor the store stage (whose chunk deletes cascade into
 * chunk_vectors) waits for it; an invalid leftover of an interrupted build is dropped and built
 * again. Takes long on a large set. Returns the index name.
 */
export async function ensureModelIndex(client: SqlClient, { model, dimension }: Pick<EmbeddingModel, 'model' | 'dimension'>, hnsw: HnswSettings = DEFAULT_HNSW): Promise<string> {
  checkDimension(dimension);
  const name = modelIndexName(model);
  const concurrently = client.kind === 'pg' ? 'CONCURRENTLY ' : '';
  if (client.kind === 'pg') {
    const { rows } = await client.query<{ valid: boolean }>(
      'SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1::text)', [name]);
    if (rows[0] && !rows[0].valid) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  }
  await client.query(`CREATE INDEX ${concurrently}IF NOT EXISTS ${name} ON chunk_vectors USING hnsw ((embedding::vector(${dimension})) vector_cosine_ops) ${hnswWith(hnsw)} WHERE model = ${sqlLiteral(model)}`);
  // Fresh statistics, so the planner knows how many rows the model has after a bulk load.
  await client.query('ANALYZE chunk_vectors');
  return name;
}

/**
 * Search SQL over one model's set, with the parameters $1–$7 of ./sql/search.sql. The model and
 * dimension are literals so the planner can match the partial index's predicate and
 * expression. Unfiltered, the inner query orders chunk_vectors alone (an index walk); with any
 * filter (./search-filters.ts) it joins chunks first and is exact. With `alsoChunks` (the
 * model's dimension is chunks.embedding's), chunks whose `chunks.embedding` holds this model's
 * vector but which are not in the set yet (stored after the pipeline switched to the model,
 * before the reembed follower copied them) are candidates too.
 */
export function modelSearchSql({ model, dimension }: Pick<EmbeddingModel, 'model' | 'dimension'>, filtered: boolean, alsoChunks = false): string {
  checkDimension(dimension);
  const lit = sqlLiteral(model);
  const distance = `v.embedding::vector(${dimension}) <=> $1::text::vector(${dimension})`;
  const filters = (alias: string) => `AND ($3::text IS NULL OR ${alias}.minister_id = $3::text) AND ($4::text IS NULL OR ${alias}.category = $4::text)
         AND ${documentFilterSql(alias)}`;
  const fromSet = filtered
    ? `SELECT v.chunk_id, ${distance} AS distance
       FROM chunk_vectors v JOIN chunks c ON c.chunk_id = v.chunk_id
       WHERE v.model = ${lit} ${filters('c')}
       ORDER BY ${distance} LIMIT $5::int`
    : `SELECT v.chunk_id, ${distance} AS distance
       FROM chunk_vectors v WHERE v.model = ${lit}
       ORDER BY ${distance} LIMIT $5::int`;
  const fromChunks = `SELECT c.chunk_id, c.embedding <=> $1::text::vector AS distance
       FROM chunks c
       WHERE c.model = ${lit} ${filtered ? filters('c') : ''}
         AND NOT EXISTS (SELECT 1 FROM chunk_vectors w WHERE w.chunk_id = c.chunk_id AND w.model = ${lit})
       ORDER BY c.embedding <=> $1::text::vector LIMIT $5::int`;
  const inner = alsoChunks ? `(${fromSet}) UNION ALL (${fromChunks})` : fromSet;
  return `SELECT c.chunk_id, c.doc_id, d.title, d.source, d.metadata, c.text, c.minister_id, c.category, c.heading_path, 1 - s.distance AS score
    FROM (${inner}) s
    JOIN chunks c ON c.chunk_id = s.chunk_id
    JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
    WHERE ($3::text IS NULL OR c.minister_id = $3::text) AND ($4::text IS NULL OR c.category = $4::text)
      AND ($6::text IS NULL OR starts_with(d.source, $6::text)) AND ($7::text IS NULL OR d.metadata @> $7::text::jsonb)
    ORDER BY s.distance, c.chunk_id
    LIMIT $2::int`;
}
