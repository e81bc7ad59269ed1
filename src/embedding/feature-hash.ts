/**
 * Signed feature hashing (the "hashing trick", Weinberger et al. 2009) of lowercase word tokens
 * and boundary-marked character 3-grams into a fixed-size vector. Pure functions, no
 * allocation per feature: hashes are computed over UTF-16 code units in place.
 *
 * The exact arithmetic here is part of the `hash-v1` model: changing a seed, a weight or the
 * tokenizer changes every vector, so it must come with a new model label.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Distinct seeds so the word "abc" and the 3-gram "abc" land in unrelated buckets. */
const WORD_SEED = FNV_OFFSET;
const GRAM_SEED = (FNV_OFFSET ^ 0x5bd1e995) >>> 0;
/** Word boundary markers of 3-grams; they cannot occur inside a token (\p{L}\p{N} only). */
const BEGIN = 0x3c; // '<'
const END = 0x3e; // '>'

/** Weight of one word occurrence. */
export const WORD_WEIGHT = 1;
/** Weight of one character 3-gram occurrence: lower than a word, so shared words dominate. */
export const GRAM_WEIGHT = 0.35;

const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Murmur3's 32-bit finaliser: spreads FNV's weak low bits before the bucket/sign split. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a (32-bit) over the UTF-16 code units of `text[start, end)`, then fmix32. */
export function hashRange(text: string, start: number, end: number, seed = WORD_SEED): number {
  let h = seed;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return fmix32(h);
}

/** Adds `weight` to the bucket of hash `h`; bit 31 picks the sign, the low 31 bits the bucket. */
function add(out: Float32Array, h: number, weight: number): void {
  const index = (h & 0x7fffffff) % out.length;
  out[index]! += h & 0x80000000 ? -weight : weight;
}

/** Code unit at position `i` of `word` with `<` before the start and `>` after the end. */
function unitAt(word: string, i: number): number {
  return i < 0 ? BEGIN : i >= word.length ? END : word.charCodeAt(i);
}

/**
 * Accumulates the features of `text` into `out` (which should be zeroed) and returns the number
 * of word tokens seen. Tokens are maximal runs of letters and digits (Unicode-aware) of the
 * lowercased text; each contributes its own hash and the 3-grams of `<token>`.
 */
export function accumulateFeatures(text: string, out: Float32Array): number {
  let tokens = 0;
  for (const word of text.toLowerCase().split(SEPARATORS)) {
    if (word.length === 0) continue;
    tokens++;
    add(out, hashRange(word, 0, word.length, WORD_SEED), WORD_WEIGHT);
    // 3-grams of "<word>": positions -1 … length-2 of the word.
    for (let i = -1; i + 2 <= word.length; i++) {
      let h = GRAM_SEED;
      for (let j = i; j < i + 3; j++) {
        h ^= unitAt(word, j);
        h = Math.imul(h, FNV_PRIME);
      }
      add(out, fmix32(h), GRAM_WEIGHT);
    }
  }
  return tokens;
}
