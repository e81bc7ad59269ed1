/**
 * Hybrid search: the vector search (./search.ts: meaning, with the query's model and its
 * re-embedded set) and the text search (./text-search.ts: words, identifiers, phrases) over the
 * same filters, fused by reciprocal rank (./rank-fusion.ts). One entry point, `searchByMode`,
 * serves `era-ingest search`, `GET /search` and `era-ingest eval`.
 */
import { ValidationError } from '../errors/pipeline-error.ts';
import { fuseRanks, RRF_K } from './rank-fusion.ts';
import { search, type SearchHit, type SearchOptions } from './search.ts';
import type { SqlClient } from './sql-client.ts';
import { textSearch, type TextSearchOptions } from './text-search.ts';

export const SEARCH_MODES = ['vector', 'text', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];
/** The mode of `era-ingest search` and `GET /search` when none is given. */
export const DEFAULT_SEARCH_MODE: SearchMode = 'hybrid';

export interface HybridSearchOptions extends SearchOptions, Pick<TextSearchOptions, 'weights'> {
  /**
   * Hits taken from each of the two searches before fusion.
   * @defaultValue min(1000, max(50, 2k))
   */
  depth?: number;
  /** k of reciprocal rank fusion. @defaultValue 60 */
  rrfK?: number;
  /** Weight of the vector list in the fusion. @defaultValue 1 */
  vectorWeight?: number;
  /** Weight of the text list in the fusion. @defaultValue 1 */
  textWeight?: number;
}

/** A mode named by a person (`--mode`, `mode=`). @throws ValidationError naming the modes. */
export function parseSearchMode(raw: string): SearchMode {
  if ((SEARCH_MODES as readonly string[]).includes(raw)) return raw as SearchMode;
  throw new ValidationError(`${JSON.stringify(raw.slice(0, 40))} is not a search mode: use ${SEARCH_MODES.join(', ')}`);
}

/** True when the mode compares vectors, so the query must be embedded. */
export function needsVector(mode: SearchMode): boolean {
  return mode !== 'text';
}

/**
 * The `k` best current chunks by reciprocal rank fusion of the vector search's and the text
 * search's `depth` best, with the same filters; ties as fuseRanks breaks them. A hit's `score`
 * is its fused score, `ranks` its place in each search, `similarity` / `textScore` the scores
 * there, and its `passage` the text search's snippet when that search matched it.
 * @throws what search() and textSearch() throw.
 */
export async function hybridSearch(client: SqlClient, query: { text: string; vector: Float32Array }, options: HybridSearchOptions = {}): Promise<SearchHit[]> {
  const { k = 10, rrfK = RRF_K, vectorWeight = 1, textWeight = 1 } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`hybridSearch: k must be a positive integer, got ${k}`);
  const depth = Math.max(k, Math.floor(options.depth ?? Math.min(1000, Math.max(50, 2 * k))));
  const { candidates: _ignored, ...legOptions } = options;
  const [byVector, byText] = await Promise.all([
    search(client, query.vector, { ...legOptions, k: depth }),
    textSearch(client, query.text, { ...legOptions, k: depth }),
  ]);
  const vectorHits = new Map(byVector.map((h) => [h.chunkId, h]));
  const textHits = new Map(byText.map((h) => [h.chunkId, h]));
  const fused = fuseRanks([
    { keys: byVector.map((h) => h.chunkId), weight: vectorWeight },
    { keys: byText.map((h) => h.chunkId), weight: textWeight },
  ], rrfK);
  return fused.slice(0, k).map(({ key, score, ranks: [vectorRank, textRank] }) => {
    const v = vectorHits.get(key);
    const t = textHits.get(key);
    const hit = (t ?? v)!;
    return {
      ...hit,
      score,
      ...(v?.similarity !== undefined ? { similarity: v.similarity } : {}),
      ...(t?.textScore !== undefined ? { textScore: t.textScore } : {}),
      ranks: { ...(vectorRank !== undefined ? { vector: vectorRank } : {}), ...(textRank !== undefined ? { text: textRank } : {}) },
    };
  });
}

/**
 * Searches in `mode`: `vector` needs `query.vector` (the query embedded by the model of the
 * stored vectors, `options.model`), `text` only `query.text`, `hybrid` both.
 * @throws RangeError when the mode needs a vector and none is given.
 */
export async function searchByMode(client: SqlClient, mode: SearchMode, query: { text: string; vector?: Float32Array }, options: HybridSearchOptions = {}): Promise<SearchHit[]> {
  if (mode === 'text') return textSearch(client, query.text, options);
  if (!query.vector) throw new RangeError(`searchByMode: mode ${mode} needs the query's vector`);
  return mode === 'vector' ? search(client, query.vector, options) : hybridSearch(client, { text: query.text, vector: query.vector }, options);
}

/** What searchWithEmbedder needs of an embedder (src/embedding's Embedder is one). */
export interface QueryEmbedder {
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/**
 * Embeds `text` with `embedder` when the mode needs it (never in text mode, so a text search
 * works with the embedder down) and searches among that model's vectors.
 */
export async function searchWithEmbedder(client: SqlClient, embedder: QueryEmbedder, mode: SearchMode, text: string, options: HybridSearchOptions = {}): Promise<SearchHit[]> {
  const vector = needsVector(mode) ? (await embedder.embed([text]))[0] : undefined;
  return searchByMode(client, mode, { text, ...(vector ? { vector } : {}) }, { ...options, model: embedder.model });
}
