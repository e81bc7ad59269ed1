import { describe, expect, it } from 'vitest';
import { meanScores, rankDocuments, recallAtK, reciprocalRank, routingAccuracy, scoreQuestion } from '../../../src/cli/eval/metrics.ts';

describe('eval metrics', () => {
  it('ranks documents by their best chunk and drops chunks of unknown documents', () => {
    expect(rankDocuments(['b', 'a', 'b', undefined, 'c', 'a'])).toEqual(['b', 'a', 'c']);
  });

  it('counts recall@k over min(k, relevant documents)', () => {
    const ranked = ['x', 'a', 'y', 'b'];
    expect(recallAtK(ranked, new Set(['a']), 1)).toBe(0);
    expect(recallAtK(ranked, new Set(['a']), 3)).toBe(1);
    // Two answers: one in the top 3 is half; at k = 1 the single place can hold only one.
    expect(recallAtK(ranked, new Set(['a', 'b']), 3)).toBe(0.5);
    expect(recallAtK(['a', 'x'], new Set(['a', 'b']), 1)).toBe(1);
    expect(recallAtK(ranked, new Set(['a', 'b']), 4)).toBe(1);
  });

  it('refuses k below 1 and a question without answers', () => {
    expect(() => recallAtK(['a'], new Set(['a']), 0)).toThrow(RangeError);
    expect(() => recallAtK(['a'], new Set(), 1)).toThrow(RangeError);
  });

  it('scores 1 / rank of the first relevant document, 0 beyond the top 10', () => {
    const ranked = Array.from({ length: 12 }, (_, i) => `d${i + 1}`);
    expect(reciprocalRank(ranked, new Set(['d1']))).toBe(1);
    expect(reciprocalRank(ranked, new Set(['d4', 'd2']))).toBe(0.5);
    expect(reciprocalRank(ranked, new Set(['d10']))).toBe(0.1);
    expect(reciprocalRank(ranked, new Set(['d11']))).toBe(0);
    expect(reciprocalRank(ranked, new Set(['missing']))).toBe(0);
  });

  it('averages recall@1, recall@3 and the reciprocal rank over the questions', () => {
    const scores = [scoreQuestion(['a', 'b', 'c'], ['a']), scoreQuestion(['a', 'b', 'c'], ['c']), scoreQuestion(['a', 'b', 'c'], ['z'])];
    expect(scores[1]).toEqual({ recallAt1: 0, recallAt3: 1, reciprocalRank: 1 / 3 });
    const mean = meanScores(scores);
    expect(mean.recallAt1).toBeCloseTo(1 / 3);
    expect(mean.recallAt3).toBeCloseTo(2 / 3);
    expect(mean.mrr).toBeCloseTo((1 + 1 / 3) / 3);
    expect(meanScores([])).toEqual({ recallAt1: 0, recallAt3: 0, mrr: 0 });
  });

  it('scores routing chunk by chunk against the label of their document', () => {
    const labels = new Map([['f.md', 'finance'], ['h.md', 'health']]);
    const score = routingAccuracy([
      { key: 'f.md', ministerId: 'finance', chunks: 3 },
      { key: 'f.md', ministerId: 'general', chunks: 1 },
      { key: 'h.md', ministerId: 'health', chunks: 4 },
      { key: 'h.md', ministerId: 'finance', chunks: 2 },
      { key: undefined, ministerId: 'health', chunks: 5 },
    ], labels);
    expect(score).toMatchObject({ right: 7, total: 10, accuracy: 0.7, unlabelled: 5 });
    expect(Object.fromEntries([...score.wrong].map(([k, m]) => [k, Object.fromEntries(m)]))).toEqual({ 'f.md': { general: 1 }, 'h.md': { finance: 2 } });
    expect(routingAccuracy([], labels).accuracy).toBe(0);
  });
});
