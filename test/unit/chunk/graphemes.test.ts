import { describe, expect, it } from 'vitest';
import { boundaryAtOrAfter, boundaryAtOrBefore, clusterEnd, isBoundary, MAX_CLUSTER } from '../../../src/stages/chunk/graphemes.ts';
import { graphemeBoundaries } from './invariants.ts';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const clusters = (s: string) => Array.from(segmenter.segment(s), (x) => x.segment);

describe('chunker grapheme boundaries', () => {
  it('agree with ICU at every position of mixed text', () => {
    const text = 'Cafe\u0301 👨‍👩‍👧 🇫🇷🇩🇪 👍🏽 한국어 \u1100\u1161\u11a8 中文。 ❤️ \u0915\u094d\u0937 \u0600\u0661 a\u0301\u0302\n';
    const expected = graphemeBoundaries(text);
    for (let i = 0; i <= text.length; i++) expect(isBoundary(text, i), `position ${i}`).toBe(expected.has(i));
  });

  it('find the boundary at or before a position, never below the floor', () => {
    const text = 'ab👨‍👩‍👧cd';
    const inside = 5; // within the family emoji
    expect(boundaryAtOrBefore(text, inside, 0)).toBe(2);
    expect(boundaryAtOrBefore(text, inside, 2)).toBe(2);
    expect(boundaryAtOrBefore(text, 2, 0)).toBe(2);
    expect(boundaryAtOrAfter(text, inside, 0, text.length)).toBe(2 + '👨‍👩‍👧'.length);
    expect(boundaryAtOrAfter(text, 0, 0, 2)).toBe(0);
    expect(boundaryAtOrAfter(text, 3, 2, 2)).toBe(2); // at or past the ceiling: the ceiling
  });

  it('measure a cluster, and give up on one longer than MAX_CLUSTER', () => {
    expect(clusterEnd('e\u0301x', 0, 3)).toBe(2);
    expect(clusterEnd('xy', 0, 2)).toBe(1);
    const huge = `a${'\u0301'.repeat(MAX_CLUSTER + 10)}`;
    expect(clusterEnd(huge, 0, huge.length)).toBe(-1);
  });

  it('decide simple neighbours (Latin, CJK, Hangul syllables) exactly as ICU would', () => {
    const neighbours = ['a', 'Z', ' ', '.', '中', 'ア', '한', '\u00e9', '\uff21'];
    const ranges: [number, number][] = [[0x20, 0x2ff], [0x3000, 0x9fff], [0xac00, 0xd7a3], [0xff01, 0xff9d]];
    for (const [from, to] of ranges) {
      for (let c = from; c <= to; c += from === 0x20 ? 1 : 11) {
        const ch = String.fromCharCode(c);
        for (const n of neighbours) {
          for (const pair of [ch + n, n + ch]) {
            const expected = clusters(pair).length === 2;
            expect(isBoundary(pair, 1), `U+${c.toString(16)} next to ${n}`).toBe(expected);
          }
        }
      }
    }
  });
});
