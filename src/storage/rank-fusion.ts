/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): several ranked lists
 * become one by summing, for every item, weight / (k + rank) over the lists that hold it.
 * Only ranks count, never the lists' own scores, so a cosine similarity and a ts_rank_cd need
 * no common scale. k damps the head of each list: with k = 60 (the paper's value) the first and
 * the tenth place of one list differ by 14 %, so an item near the top of both lists beats one
 * at the top of a single list. Pure.
 */

export interface RankedList {
  /** Item keys, best first (a key appearing twice counts at its first place). */
  keys: readonly string[];
  /** @defaultValue 1 */
  weight?: number;
}

export interface Fused {
  key: string;
  score: number;
  /** 1-based rank in each input list, by list index; undefined where the list lacks the key. */
  ranks: Array<number | undefined>;
}

/** The k of RRF. @defaultValue 60 */
export const RRF_K = 60;

/**
 * Every key of `lists`, by fused score, highest first; ties by best single rank, then by key,
 * so the order is deterministic.
 * @throws RangeError for a negative or non-finite k or weight.
 */
export function fuseRanks(lists: readonly RankedList[], k: number = RRF_K): Fused[] {
  if (!Number.isFinite(k) || k < 0) throw new RangeError(`fuseRanks: k must be a finite number ≥ 0, got ${k}`);
  const fused = new Map<string, Fused>();
  lists.forEach((list, l) => {
    const weight = list.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`fuseRanks: a weight must be a finite number ≥ 0, got ${weight}`);
    list.keys.forEach((key, i) => {
      let entry = fused.get(key);
      if (!entry) fused.set(key, (entry = { key, score: 0, ranks: new Array<number | undefined>(lists.length).fill(undefined) }));
      if (entry.ranks[l] !== undefined) return;
      entry.ranks[l] = i + 1;
      entry.score += weight / (k + i + 1);
    });
  });
  const best = (f: Fused): number => Math.min(...f.ranks.map((r) => r ?? Infinity));
  return [...fused.values()].sort((a, b) => b.score - a.score || best(a) - best(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
