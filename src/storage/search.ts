/**
 * Vector search over the current version of every document (the vector half of hybrid search,
 * ./hybrid-search.ts), the hit every search mode returns, and small counting helpers for the
 * CLI and tests.
 */
import { DEFAULT_HASH_MODEL } from '../embedding/hash-embedder.ts';
import { ConfigError } from '../errors/pipeline-error.ts';
import { SqlError } from './errors.ts';
import { getModelForSearch, modelSearchSql, type EmbeddingModel } from './model-vectors.ts';
import { documentFilterSql, filterValues, isFiltered, type SearchFilters } from './search-filters.ts';
import type { SqlClient } from './sql-client.ts';
import { sql } from './sql-files.ts';
import { toVectorText } from './vector-text.ts';

export interface SearchOptions extends SearchFilters {
  /** Hits to return. @defaultValue 10 */
  k?: number;
  /**
   * Nearest chunks fetched before dropping those of pending versions and cutting to k; also
   * the HNSW candidate list size (`hnsw.ef_search`), since the index returns at
   * most that many rows before the filters apply.
   * @defaultValue 2k + 20 unfiltered; min(1000, max(200, 10k)) with any filter
   */
  candidates?: number;
  /**
   * Model that embedded the query vector. Vectors of one model are only comparable with
   * vectors of the same model: a model with a re-embedded set (`era-ingest reembed`) is
   * searched there, any other in `chunks.embedding` among the chunks that model embedded.
   * Unset: every chunk in `chunks.embedding`, whatever its model.
   */
  model?: string;
}

/** One chunk found by a search, whatever the mode. */
export interface SearchHit {
  chunkId: string;
  docId: string;
  title: string | null;
  /** The document's `source` (e.g. its file URL), null when it has none. */
  source: string | null;
  /** The document's metadata object, null when it has none. */
  metadata: Record<string, unknown> | null;
  /** The whole chunk text. */
  text: string;
  ministerId: string;
  category: string | null;
  headingPath: string[];
  /**
   * The mode's score, higher is better: cosine similarity (vector), ts_rank_cd (text), the
   * reciprocal rank fusion sum (hybrid).
   */
  score: number;
  /**
   * The matched passage: for a chunk the text search matched, ts_headline's fragments around
   * the matched words (at most two, joined by ` … `, matched words between « and »); for a
   * chunk found by vector search alone, the chunk text (the whole of it matched by meaning).
   */
  passage: string;
  /** Cosine similarity (1 - cosine distance) when the vector search found the chunk. */
  similarity?: number;
  /** ts_rank_cd when the text search matched the chunk. */
  textScore?: number;
  /** 1-based rank of the chunk in each search that found it (hybrid: before fusion). */
  ranks: { vector?: number; text?: number };
}

/** A search row as the SQL of this folder returns it. */
export interface HitRow {
  chunk_id: string;
  doc_id: string;
  title: string | null;
  source: string | null;
  metadata: Record<string, unknown> | string | null;
  text: string;
  minister_id: string;
  category: string | null;
  heading_path: string[] | null;
  score: number | string;
  passage?: string;
}

/** The fields of a hit every mode shares, from its row. */
export function hitFields(r: HitRow): Omit<SearchHit, 'score' | 'passage' | 'ranks'> {
  return {
    chunkId: r.chunk_id, docId: r.doc_id, title: r.title, source: r.source,
    metadata: typeof r.metadata === 'string' ? (JSON.parse(r.metadata) as Record<string, unknown>) : r.metadata,
    text: r.text, ministerId: r.minister_id, category: r.category, headingPath: r.heading_path ?? [],
  };
}

let vectorSql: string | undefined;
/** The vector search statement over chunks.embedding (./sql/search.sql with its document filter). */
export function vectorSearchSql(): string {
  return (vectorSql ??= sql('search').replace('AND {{document_filter}}', `AND ${documentFilterSql('chunks')}`));
}

/**
 * The `k` current chunks nearest to `queryVector` by cosine distance, nearest first (ties by
 * chunk id). With the HNSW index the result is approximate; without it (PGlite before
 * ensureVectorIndex) the scan is exact. A filtered search that finds fewer than k hits through
 * the index is redone exactly. Fewer than k hits come back when there are fewer matching current
 * chunks, or when more than `candidates - k` of the nearest are pending (not yet flipped).
 * @throws SqlError when the vector's dimension differs from the column's; ConfigError when
 *   `model` has no vectors at all (naming the models that do) or another dimension.
 */
export async function search(client: SqlClient, queryVector: Float32Array, options: SearchOptions = {}): Promise<SearchHit[]> {
  const { k = 10 } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`search: k must be a positive integer, got ${k}`);
  const filtered = isFiltered(options);
  const candidates = Math.max(k, Math.floor(options.candidates ?? (filtered ? Math.min(1000, Math.max(200, 10 * k)) : 2 * k + 20)));
  // A re-embedded set answers once it is ready; while it is being built, the model's vectors in
  // chunks.embedding (if any) answer, as before the re-embedding started.
  const registered = options.model === undefined ? undefined : await registeredModel(client, options.model);
  const set = registered?.state === 'ready' ? registered : undefined;
  if (set && set.dimension !== queryVector.length) {
    throw new ConfigError(`the query vector has ${queryVector.length} dimensions but model ${set.model}'s vectors have ${set.dimension}: embed the query with ${set.model} (EMBED_MODEL, EMBED_DIM=${set.dimension})`);
  }
  const f = filterValues(options);
  const params = [toVectorText(queryVector, 'query vector'), k, f.minister, f.category, candidates, f.source, f.metadata];
  const alsoChunks = set !== undefined && set.columnDimension === set.dimension;
  const [text, values] = set ? [modelSearchSql(set, filtered, alsoChunks), params] : [vectorSearchSql(), [...params, options.model ?? null]];
  const run = async (c: SqlClient): Promise<HitRow[]> => (await c.query<HitRow>(text, values)).rows;
  // pgvector's default ef_search is 40 (its maximum is 1000).
  let rows = candidates > 40
    ? await client.transaction(async (tx) => {
      await tx.query(`SET LOCAL hnsw.ef_search = ${Math.min(1000, candidates)}`);
      return run(tx);
    })
    : await run(client);
  if (filtered && rows.length < k) {
    // The HNSW scan (pgvector < 0.8 has no iterative scan) may have found too few chunks
    // passing a selective filter: redo it exactly, over the filtered rows only.
    rows = await client.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_indexscan = off');
      return run(tx);
    });
  }
  if (rows.length === 0 && options.model !== undefined && !set) await explainNoVectors(client, options.model, registered);
  return rows.map((r, i) => {
    const similarity = Number(r.score);
    return { ...hitFields(r), score: similarity, passage: r.text, similarity, ranks: { vector: i + 1 } };
  });
}

/** The model's re-embedded set, if registered (undefined too on a schema older than migration 004). */
async function registeredModel(client: SqlClient, model: string): Promise<(EmbeddingModel & { columnDimension: number }) | undefined> {
  try {
    return await getModelForSearch(client, model);
  } catch (error) {
    if (error instanceof SqlError && error.sqlState === '42P01') return undefined;
    throw error;
  }
}

/** No hit for `model`: when other models' chunks exist, say which instead of answering nothing. */
async function explainNoVectors(client: SqlClient, model: string, building: EmbeddingModel | undefined): Promise<void> {
  const { rows } = await client.query<{ model: string }>(
    'SELECT DISTINCT model FROM chunks WHERE model <> $1::text LIMIT 5', [model]);
  if (rows.length === 0) return;
  const others = rows.map((r) => r.model).join(', ');
  if (building) {
    throw new ConfigError(`model ${model}'s vectors are still being built (state ${building.state}; era-ingest reembed --list shows the progress); ` +
      `until then search with the model the chunks were embedded with: ${others}`);
  }
  // Say which embedder made them: a model's name alone is not enough when the query came from the hash embedder.
  const made = rows.map((r) => (r.model === DEFAULT_HASH_MODEL ? `${r.model}: EMBEDDER=hash` : `${r.model}: EMBEDDER=ollama (or openai) EMBED_MODEL=${r.model}`));
  throw new ConfigError(`no stored chunk has a vector of model ${model}; the stored chunks were embedded with ${others}. ` +
    `Search with the embedder that made them (${made.join('; ')})` +
    (model === DEFAULT_HASH_MODEL ? '.' : `, or build ${model}'s vectors first: era-ingest reembed --model ${model}`));
}

/** Number of documents with a current version. */
export async function documentCount(client: SqlClient): Promise<number> {
  const { rows } = await client.query<{ n: unknown }>('SELECT count(*) AS n FROM documents');
  return Number(rows[0]?.n ?? 0);
}

/** Number of current chunks (pending versions excluded), optionally of one minister. */
export async function chunkCount(client: SqlClient, ministerId?: string): Promise<number> {
  const { rows } = await client.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     WHERE $1::text IS NULL OR c.minister_id = $1::text`, [ministerId ?? null]);
  return Number(rows[0]?.n ?? 0);
}

/** Current chunks per document and minister (for scoring routing), by document id then minister. */
export async function chunksByMinister(client: SqlClient): Promise<Array<{ docId: string; ministerId: string; chunks: number }>> {
  const { rows } = await client.query<{ doc_id: string; minister_id: string; n: unknown }>(
    `SELECT c.doc_id, c.minister_id, count(*) AS n
     FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     GROUP BY c.doc_id, c.minister_id ORDER BY c.doc_id, c.minister_id`);
  return rows.map((r) => ({ docId: r.doc_id, ministerId: r.minister_id, chunks: Number(r.n) }));
}

export interface CurrentChunk {
  chunkId: string;
  seq: number;
  contentHash: string;
  version: number;
  text: string;
}

/** The current chunks of one document in seq order (empty when it has no current version). */
export async function documentChunks(client: SqlClient, docId: string): Promise<CurrentChunk[]> {
  const { rows } = await client.query<{ chunk_id: string; seq: number; content_hash: string; version: unknown; text: string }>(
    `SELECT c.chunk_id, c.seq, c.content_hash, d.version, c.text
     FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     WHERE c.doc_id = $1::text ORDER BY c.seq`, [docId]);
  return rows.map((r) => ({ chunkId: r.chunk_id, seq: Number(r.seq), contentHash: r.content_hash, version: Number(r.version), text: r.text }));
}
