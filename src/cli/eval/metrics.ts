/**
 * Retrieval and routing metrics of `era-ingest eval`. Pure functions over document keys; no
 * I/O. A question's documents are ranked by their best chunk (the first time a document shows
 * in the chunk ranking), so a long document with many chunks does not crowd the top k.
 *
 * - recall@k: |relevant ∩ top k| / min(k, |relevant|): 1 when the top k hold as many relevant
 *   documents as fit, so a question with two answers is not penalised at k = 1.
 * - reciprocal rank: 1 / rank of the first relevant document, 0 when none is in the top
 *   {@link RANK_CUTOFF} (MRR is its mean).
 * - routing accuracy: the share of stored chunks whose minister is their document's label.
 */

/** Documents a question's ranking is scored over (MRR counts a first hit up to this rank). */
export const RANK_CUTOFF = 10;

/** Distinct keys in order of their first (best) appearance; unknown keys (undefined) are dropped. */
export function rankDocuments(keysOfHits: Iterable<string | undefined>): string[] {
  const ranked = new Set<string>();
  for (const key of keysOfHits) if (key !== undefined) ranked.add(key);
  return [...ranked];
}

/** |relevant ∩ top k| / min(k, |relevant|). @throws RangeError for k < 1 or no relevant document. */
export function recallAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`recall@k: k must be a positive integer, got ${k}`);
  if (relevant.size === 0) throw new RangeError('recall@k: a question needs at least one relevant document');
  const found = ranked.slice(0, k).filter((key) => relevant.has(key)).length;
  return found / Math.min(k, relevant.size);
}

/** 1-based rank of the first relevant document, or undefined when none ranks at all. */
function firstRelevantRank(ranked: readonly string[], relevant: ReadonlySet<string>): number | undefined {
  const i = ranked.findIndex((key) => relevant.has(key));
  return i < 0 ? undefined : i + 1;
}

/** 1 / rank of the first relevant document; 0 when it is not in the top `cutoff`. */
export function reciprocalRank(ranked: readonly string[], relevant: ReadonlySet<string>, cutoff = RANK_CUTOFF): number {
  const rank = firstRelevantRank(ranked, relevant);
  return rank !== undefined && rank <= cutoff ? 1 / rank : 0;
}

/** One question's scores. */
export interface QuestionScore {
  readonly recallAt1: number;
  readonly recallAt3: number;
  readonly reciprocalRank: number;
}

export function scoreQuestion(ranked: readonly string[], answers: readonly string[]): QuestionScore {
  const relevant = new Set(answers);
  return { recallAt1: recallAtK(ranked, relevant, 1), recallAt3: recallAtK(ranked, relevant, 3), reciprocalRank: reciprocalRank(ranked, relevant) };
}

/** Means over the questions (recall@1, recall@3, MRR); zeros for none. */
export function meanScores(scores: readonly QuestionScore[]): { recallAt1: number; recallAt3: number; mrr: number } {
  const mean = (pick: (s: QuestionScore) => number): number => (scores.length ? scores.reduce((sum, s) => sum + pick(s), 0) / scores.length : 0);
  return { recallAt1: mean((s) => s.recallAt1), recallAt3: mean((s) => s.recallAt3), mrr: mean((s) => s.reciprocalRank) };
}

/** Stored chunks of one document routed to one minister. */
export interface RoutedCount {
  /** The document's key in the question set; undefined when the set does not label it. */
  readonly key: string | undefined;
  readonly ministerId: string;
  readonly chunks: number;
}

export interface RoutingScore {
  /** Chunks of labelled documents routed to their label. */
  readonly right: number;
  /** Chunks of labelled documents. */
  readonly total: number;
  /** right / total (0 when there are none). */
  readonly accuracy: number;
  /** Chunks of documents the set does not label (not scored). */
  readonly unlabelled: number;
  /** Chunks of labelled documents sent to another minister, by key: minister → chunks. */
  readonly wrong: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** Routing accuracy of stored chunks against the set's labels (document key → minister). */
export function routingAccuracy(counts: Iterable<RoutedCount>, labels: ReadonlyMap<string, string>): RoutingScore {
  let right = 0;
  let total = 0;
  let unlabelled = 0;
  const wrong = new Map<string, Map<string, number>>();
  for (const { key, ministerId, chunks } of counts) {
    const label = key === undefined ? undefined : labels.get(key);
    if (label === undefined) {
      unlabelled += chunks;
      continue;
    }
    total += chunks;
    if (ministerId === label) {
      right += chunks;
      continue;
    }
    const byMinister = wrong.get(key!) ?? new Map<string, number>();
    byMinister.set(ministerId, (byMinister.get(ministerId) ?? 0) + chunks);
    wrong.set(key!, byMinister);
  }
  return { right, total, accuracy: total ? right / total : 0, unlabelled, wrong };
}
