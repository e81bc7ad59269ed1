/**
 * Full-text search over the current chunks (chunks.search_vector, migration 008): the text half
 * of hybrid search (./hybrid-search.ts). Finds what a vector of meaning blurs: identifiers,
 * exact phrases, rare words, numbers.
 */
import { filterValues, type SearchFilters } from './search-filters.ts';
import { hitFields, type HitRow, type SearchHit } from './search.ts';
import type { SqlClient } from './sql-client.ts';
import { sql } from './sql-files.ts';

export interface TextSearchOptions extends SearchFilters {
  /** Hits to return. @defaultValue 10 */
  k?: number;
  /**
   * ts_rank_cd weights of the labels {D, C, B, A}: the chunk text is D, its heading path B
   * (migration 008). @defaultValue PostgreSQL's own, [0.1, 0.2, 0.4, 1.0]
   */
  weights?: readonly [number, number, number, number];
}

export const DEFAULT_TEXT_WEIGHTS = [0.1, 0.2, 0.4, 1.0] as const;

/**
 * A query as a person types it, in websearch_to_tsquery syntax: every word and every "quoted
 * phrase" is a term, and a chunk matches when it holds any of them (`or`); the ranking puts
 * chunks holding more of them, closer together, first. A question in everyday words thus finds
 * the chunks sharing its content words instead of only those holding all of them. Each term is
 * quoted, so what websearch syntax would read as an operator (`-x`, `or`) is a word here and a
 * query can never become "everything but x". The configuration's parser then splits a term as
 * it split the stored text: `ERA-1234` or `DLQ_MAX_RATIO` become phrases of their parts, paths
 * and dotted names stay whole; stop words drop out. Returns '' when the query has no term.
 */
export function textQuery(query: string): string {
  const terms = new Map<string, string>();
  for (const match of query.matchAll(/"([^"]*)"|([^\s"]+)/g)) {
    const term = (match[1] ?? match[2] ?? '').replace(/\s+/g, ' ').trim();
    if (term !== '' && !terms.has(term.toLowerCase())) terms.set(term.toLowerCase(), term);
  }
  return [...terms.values()].map((t) => `"${t}"`).join(' or ');
}

/**
 * The `k` current chunks that best match `query` (see textQuery), best first, ties by chunk id;
 * each with its ts_headline passage. No hit when the query holds nothing but stop words and
 * punctuation. Works the same on PGlite and PostgreSQL.
 * @throws RangeError for a k that is not a positive integer.
 */
export async function textSearch(client: SqlClient, query: string, options: TextSearchOptions = {}): Promise<SearchHit[]> {
  const { k = 10, weights = DEFAULT_TEXT_WEIGHTS } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`textSearch: k must be a positive integer, got ${k}`);
  const q = textQuery(query);
  if (q === '') return [];
  const f = filterValues(options);
  const { rows } = await client.query<HitRow & { passage: string }>(sql('text-search'), [q, k, f.minister, f.category, [...weights], f.source, f.metadata]);
  return rows.map((r, i) => {
    const textScore = Number(r.score);
    return { ...hitFields(r), score: textScore, passage: r.passage, textScore, ranks: { text: i + 1 } };
  });
}
