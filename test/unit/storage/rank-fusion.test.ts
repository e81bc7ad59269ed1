import { describe, expect, it } from 'vitest';
import { fuseRanks, RRF_K } from '../../../src/storage/rank-fusion.ts';
import { textQuery } from '../../../src/storage/text-search.ts';

describe('reciprocal rank fusion', () => {
  it('sums weight / (k + rank) over the lists holding an item, best first', () => {
    const fused = fuseRanks([{ keys: ['a', 'b', 'c'] }, { keys: ['c', 'd'] }]);
    expect(fused.map((f) => f.key)).toEqual(['c', 'a', 'b', 'd']);
    const c = fused[0]!;
    expect(c.score).toBeCloseTo(1 / (RRF_K + 3) + 1 / (RRF_K + 1), 12);
    expect(c.ranks).toEqual([3, 1]);
    expect(fused.find((f) => f.key === 'd')!.ranks).toEqual([undefined, 2]);
  });

  it('ranks an item near the top of both lists above one at the top of a single list', () => {
    const fused = fuseRanks([{ keys: ['only-vector', 'both'] }, { keys: ['only-text', 'x', 'both'] }]);
    expect(fused[0]!.key).toBe('both');
  });

  it('follows the weights and k', () => {
    const lists = [{ keys: ['v1', 'v2'] }, { keys: ['t1', 't2'], weight: 2 }];
    expect(fuseRanks(lists).map((f) => f.key)).toEqual(['t1', 't2', 'v1', 'v2']);
    expect(fuseRanks([{ keys: ['a'], weight: 0 }, { keys: ['b'] }]).map((f) => f.score)).toEqual([1 / 61, 0]);
    expect(fuseRanks([{ keys: ['a'] }], 0)[0]!.score).toBe(1);
  });

  it('breaks ties by the best single rank, then by key, and counts a repeated key once', () => {
    // a and b: rank 1 in one list each → equal scores; the key decides.
    expect(fuseRanks([{ keys: ['b'] }, { keys: ['a'] }]).map((f) => f.key)).toEqual(['a', 'b']);
    // With k = 0: y 1/1 + 1/4, x 1/2 + 1/2 = 1, z 1/1 = 1, w 1/3; x and z tie, z's rank 1 beats x's 2.
    const tie = fuseRanks([{ keys: ['y', 'x'] }, { keys: ['z', 'x', 'w', 'y'] }], 0);
    expect(tie.map((f) => f.key)).toEqual(['y', 'z', 'x', 'w']);
    expect(fuseRanks([{ keys: ['a', 'a', 'b'] }])[0]).toMatchObject({ key: 'a', ranks: [1], score: 1 / 61 });
  });

  it('refuses a negative k or weight', () => {
    expect(() => fuseRanks([], -1)).toThrow(RangeError);
    expect(() => fuseRanks([{ keys: ['a'], weight: Number.NaN }])).toThrow(RangeError);
  });
});

describe('text query', () => {
  it('makes every word and quoted phrase an alternative, each quoted', () => {
    expect(textQuery('tax return deadline')).toBe('"tax" or "return" or "deadline"');
    expect(textQuery('"tax return" deadline')).toBe('"tax return" or "deadline"');
  });

  it('takes websearch operators as words, so a query never becomes a negation', () => {
    expect(textQuery('-2% growth or decline')).toBe('"-2%" or "growth" or "or" or "decline"');
  });

  it('keeps identifiers whole, drops repeated terms, empty phrases and stray quotes', () => {
    expect(textQuery('ERA-1234 era-1234 src/storage/search.ts')).toBe('"ERA-1234" or "src/storage/search.ts"');
    expect(textQuery('"" "unclosed phrase')).toBe('"unclosed" or "phrase"');
    expect(textQuery('   ')).toBe('');
  });
});
