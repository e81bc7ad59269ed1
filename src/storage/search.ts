/**
 * Semantic search over the current version of every document, and small counting helpers for
 * the CLI and tests.
 */
import type { SqlClient } from './sql-client.ts';
import { sql } from './sql-files.ts';
import { toVectorText } from './vector-text.ts';

export interface SearchOptions {
  /** Hits to return. @defaultValue 10 */
  k?: number;
  /** Only chunks routed to this minister. */
  minister?: string;
  /** Only chunks of this category. */
  category?: string;
  /**
   * Nearest chunks fetched before dropping those of pending versions and cutting to k; also
   * the HNSW candidate list size (`hnsw.ef_search`), since the index returns at
   * most that many rows before the minister/category filters apply.
   * @defaultValue 2k + 20 unfiltered; min(1000, max(200, 10k)) with minister/category
   */
  candidates?: number;
}

export interface SearchHit {
  chunkId: string;
  docId: string;
  title: string | null;
  text: string;
  ministerId: string;
  category: string | null;
  /** Cosine similarity, 1 - cosine distance: 1 = same direction. */
  score: number;
  headingPath: string[];
}

/**
 * The `k` current chunks nearest to `queryVector` by cosine distance, nearest first (ties by
 * chunk id). With the HNSW index the result is approximate; without it (PGlite before
 * ensureVectorIndex) the scan is exact. A filtered search that finds fewer than k hits through
 * the index is redone exactly. Fewer than k hits come back when there are fewer matching current
 * chunks, or when more than `candidates - k` of the nearest are pending (not yet flipped).
 * @throws SqlError when the vector's dimension differs from the column's.
 */
export async function search(client: SqlClient, queryVector: Float32Array, options: SearchOptions = {}): Promise<SearchHit[]> {
  const { k = 10, minister, category } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`search: k must be a positive integer, got ${k}`);
  const filtered = minister !== undefined || category !== undefined;
  const candidates = Math.max(k, Math.floor(options.candidates ?? (filtered ? Math.min(1000, Math.max(200, 10 * k)) : 2 * k + 20)));
  const params = [toVectorText(queryVector, 'query vector'), k, minister ?? null, category ?? null, candidates];
  type Row = { chunk_id: string; doc_id: string; title: string | null; text: string; minister_id: string; category: string | null; heading_path: string[]; score: number };
  const run = async (c: SqlClient): Promise<Row[]> => (await c.query<Row>(sql('search'), params)).rows;
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
  return rows.map((r) => ({
    chunkId: r.chunk_id, docId: r.doc_id, title: r.title, text: r.text, ministerId: r.minister_id,
    category: r.category, score: Number(r.score), headingPath: r.heading_path ?? [],
  }));
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
