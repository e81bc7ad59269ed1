import { describe, expect, it } from 'vitest';
import { countRange, countTokens, lastPrefixTokens, prefixEnd } from '../../../src/stages/chunk/tokenizer.ts';
import { randomText, seededRandom } from './invariants.ts';

describe('chunk tokenizer (approximate WordPiece count)', () => {
  it('counts nothing for empty and whitespace-only text', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens(' \t\n\r\u00a0\u3000\ufeff\u2028')).toBe(0);
  });

  it('counts a run of Latin letters as ceil(length / 4), at least 1', () => {
    expect(countTokens('a')).toBe(1);
    expect(countTokens('word')).toBe(1);
    expect(countTokens('words')).toBe(2);
    expect(countTokens('the cat sat')).toBe(3);
    expect(countTokens('Ingestion')).toBe(3);
    expect(countTokens('naïve')).toBe(2); // precomposed ï is a Latin letter
  });

  it('counts every punctuation character as one token', () => {
    expect(countTokens("don't")).toBe(3);
    expect(countTokens('a.b,c')).toBe(5);
    expect(countTokens('...')).toBe(3);
  });

  it('counts digit runs as ceil(length / 2) and other alphabets as ceil(length / 2)', () => {
    expect(countTokens('2024')).toBe(2);
    expect(countTokens('12345')).toBe(3);
    expect(countTokens('привет')).toBe(3);
    expect(countTokens('abc123def')).toBe(1 + 2 + 1);
  });

  it('counts each CJK ideograph and kana as one token', () => {
    expect(countTokens('中文文本')).toBe(4);
    expect(countTokens('ひらがなカタカナ')).toBe(8);
    expect(countTokens('𠀀')).toBe(1); // astral ideograph (a surrogate pair)
  });

  it('counts a Hangul syllable as its NFD jamo: 2, or 3 with a final consonant', () => {
    expect(countTokens('가')).toBe(2);
    expect(countTokens('한')).toBe(3);
    expect(countTokens('한국어')).toBe(3 + 3 + 2);
  });

  it('counts emoji conservatively: 2 per pictograph, 1 per joiner, modifier or flag half', () => {
    expect(countTokens('😀')).toBe(2);
    expect(countTokens('👍🏽')).toBe(3);
    expect(countTokens('🇫🇷')).toBe(2);
    expect(countTokens('👨‍👩‍👧')).toBe(2 + 1 + 2 + 1 + 2);
  });

  it('lets combining marks extend the word they follow', () => {
    expect(countTokens('e\u0301')).toBe(1);
    expect(countTokens('cafe\u0301')).toBe(2); // 5 code points in one run
    expect(countTokens('\u0301')).toBe(1); // a mark after nothing counts
  });

  it('counts lone surrogates and control characters instead of dropping them', () => {
    expect(countTokens('\ud800')).toBe(1);
    expect(countTokens('\u0001\u0002')).toBe(2);
  });

  it('is subadditive and monotone on random text (what the chunker relies on)', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 300; round++) {
      const text = randomText(random, 1 + Math.floor(random() * 300));
      const points = Array.from(text.matchAll(/./gsu), (m) => m.index);
      const cut = points[Math.floor(random() * points.length)] ?? 0;
      const a = text.slice(0, cut);
      const b = text.slice(cut);
      expect(countTokens(text)).toBeLessThanOrEqual(countTokens(a) + countTokens(b));
      expect(countTokens(text)).toBeGreaterThanOrEqual(countTokens(a));
    }
  });

  it('counts a range like the slice, and finds the longest prefix within a budget', () => {
    const text = 'The quick brown fox jumps over the lazy dog. 中文 😀 e\u0301';
    expect(countRange(text, 4, 19)).toBe(countTokens(text.slice(4, 19)));
    for (const budget of [0, 1, 5, 13, 1000]) {
      const end = prefixEnd(text, 0, text.length, budget);
      expect(lastPrefixTokens()).toBe(countTokens(text.slice(0, end)));
      expect(countTokens(text.slice(0, end))).toBeLessThanOrEqual(budget);
      if (end < text.length) expect(countTokens(text.slice(0, end + (text.codePointAt(end)! > 0xffff ? 2 : 1)))).toBeGreaterThan(budget);
    }
  });

  it('never stops inside a surrogate pair', () => {
    const text = '😀'.repeat(10);
    for (let budget = 0; budget < 25; budget++) expect(prefixEnd(text, 0, text.length, budget) % 2).toBe(0);
  });

  it('counts 10 MB of text, additively over any split', () => {
    const sentence = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
    const text = sentence.repeat(180_000);
    // Exactly the sum of its sentences: the count is linear in the text (no rescans).
    expect(countTokens(text)).toBe(countTokens(sentence) * 180_000);
    expect(countTokens(text)).toBeGreaterThan(2_000_000);
  });
});
