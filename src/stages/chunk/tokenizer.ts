/**
 * Approximate token counter of the chunker: fast (one pass, no allocation per character),
 * dependency-free, and calibrated to count MORE than a BERT-style WordPiece tokenizer
 * (all-MiniLM, nomic, mxbai, bge: basic tokenizer + WordPiece) counts on natural text, so
 * a chunk within `maxTokens` here fits the embedder's input.
 *
 * Rules, per Unicode code point (classes from the Unicode properties of the character):
 * - whitespace (JavaScript `\s`): 0 — WordPiece drops it;
 * - a run of Latin letters (ASCII and the Latin blocks): ceil(length / 4). English words
 *   average ~1.2 wordpieces and ~4.7 letters, so prose is over-counted by ~25 %;
 * - a run of letters of other alphabets (Greek, Cyrillic, Arabic, Hebrew, Indic, Thai…):
 *   ceil(length / 2) — an English vocabulary splits them into short pieces;
 * - a run of decimal digits: ceil(length / 2);
 * - a combining mark (\p{M}) extends the letter run it follows; after anything else it is 1;
 * - CJK ideographs, kana, bopomofo, Hangul jamo, fullwidth forms: 1 each (BERT isolates
 *   every ideograph);
 * - a precomposed Hangul syllable: 2, or 3 with a final consonant (uncased BERT decomposes
 *   it to NFD jamo, each a possible wordpiece);
 * - an Extended_Pictographic code point (emoji, ©, ™…): 2; every other code point (the
 *   other parts of an emoji sequence: ZWJ, skin tones, flags' regional indicators, tags;
 *   punctuation, symbols, controls, lone surrogates…): 1.
 *
 * It is an estimate, not the model's tokenizer: a string of random letters ("xqzvbk…") or a
 * rare technical word can take more wordpieces than counted. The embed stage truncates as
 * a last resort. Two properties the chunker relies on, and tests check:
 * - subadditive: countTokens(a + b) <= countTokens(a) + countTokens(b), so the sum of the
 *   counts of the pieces of a chunk bounds the count of the chunk;
 * - monotone: appending text never lowers the count.
 */

const WS = 0;
const LATIN = 1;
const LETTER = 2;
const DIGIT = 3;
const MARK = 4;
const ONE = 5;
const HANGUL = 6;
const EMOJI = 7;
const UNKNOWN = 255;

const bmpClass = new Uint8Array(0x10000).fill(UNKNOWN);
const astralClass = new Map<number, number>();

const reSpace = /^\s$/u;
const reMark = /^\p{M}$/u;
const reDigit = /^\p{Nd}$/u;
const reLetter = /^\p{L}$/u;
const rePictographic = /^\p{Extended_Pictographic}$/u;

function isLatinLetter(cp: number): boolean {
  return cp < 0x250 || (cp >= 0x1e00 && cp <= 0x1eff) || (cp >= 0x2c60 && cp <= 0x2c7f) || (cp >= 0xa720 && cp <= 0xa7ff) || (cp >= 0xab30 && cp <= 0xab6f);
}

function isCjkOne(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK unified ideographs
    (cp >= 0x3400 && cp <= 0x4dbf) || // extension A
    (cp >= 0x3040 && cp <= 0x31ff) || // kana, bopomofo, Hangul compatibility jamo, kanbun…
    (cp >= 0x1100 && cp <= 0x11ff) || // Hangul jamo
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xd7b0 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfaff) || // compatibility ideographs
    (cp >= 0xff00 && cp <= 0xffef) || // halfwidth and fullwidth forms
    (cp >= 0x20000 && cp <= 0x3ffff) // extensions B…, supplementary compatibility ideographs
  );
}

function computeClass(cp: number): number {
  if (cp >= 0xac00 && cp <= 0xd7a3) return HANGUL;
  if (isCjkOne(cp)) return ONE;
  if (cp >= 0xd800 && cp <= 0xdfff) return ONE; // lone surrogate
  if (cp >= 0x1f1e6 && cp <= 0x1f1ff) return ONE; // regional indicator (half a flag)
  if (cp >= 0x1f3fb && cp <= 0x1f3ff) return ONE; // emoji skin tone modifier
  const ch = String.fromCodePoint(cp);
  if (reSpace.test(ch)) return WS;
  if (reMark.test(ch)) return MARK;
  if (reDigit.test(ch)) return DIGIT;
  if (reLetter.test(ch)) return isLatinLetter(cp) ? LATIN : LETTER;
  if (rePictographic.test(ch)) return EMOJI;
  return ONE;
}

const asciiClass = new Uint8Array(0x80);
for (let cp = 0; cp < 0x80; cp++) asciiClass[cp] = computeClass(cp);

function classOf(cp: number): number {
  if (cp < 0x80) return asciiClass[cp]!;
  if (cp < 0x10000) {
    let c = bmpClass[cp]!;
    if (c === UNKNOWN) bmpClass[cp] = c = computeClass(cp);
    return c;
  }
  let c = astralClass.get(cp);
  if (c === undefined) astralClass.set(cp, (c = computeClass(cp)));
  return c;
}

function runTokens(runClass: number, runLength: number): number {
  if (runLength === 0) return 0;
  return runClass === LATIN ? (runLength + 3) >> 2 : (runLength + 1) >> 1;
}

/** Count of the last `scan` (module scratch: JavaScript runs one scan at a time). */
let scannedTokens = 0;

/**
 * Walks text[start, end) by code points and stops before the first code point that would
 * take the count above `budget`. Returns the stop index (always on a code point boundary);
 * the count of text[start, stop) is left in `scannedTokens`.
 */
function scan(text: string, start: number, end: number, budget: number): number {
  let total = 0;
  let runClass = WS;
  let runLength = 0;
  let i = start;
  while (i < end) {
    let cp = text.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < end) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    const cls = classOf(cp);
    let t = total;
    let rc = runClass;
    let rl = runLength;
    if (cls === LATIN || cls === LETTER || cls === DIGIT) {
      if (rc === cls) rl++;
      else {
        t += runTokens(rc, rl);
        rc = cls;
        rl = 1;
      }
    } else if (cls === MARK && (rc === LATIN || rc === LETTER)) {
      rl++;
    } else {
      t += runTokens(rc, rl);
      rc = WS;
      rl = 0;
      if (cls === EMOJI) t += 2;
      else if (cls === HANGUL) t += (cp - 0xac00) % 28 === 0 ? 2 : 3;
      else if (cls !== WS) t += 1; // ONE, or a mark that follows no letter
    }
    if (t + runTokens(rc, rl) > budget) break;
    total = t;
    runClass = rc;
    runLength = rl;
    i += width;
  }
  scannedTokens = total + runTokens(runClass, runLength);
  return i;
}

/**
 * Approximate number of embedder tokens of `text` (see the module comment for the rules).
 * Pure and linear in the length of the text; never throws.
 */
export function countTokens(text: string): number {
  scan(text, 0, text.length, Infinity);
  return scannedTokens;
}

/**
 * `countTokens(text.slice(start, end))` without the slice. `start`/`end` should sit on code
 * point boundaries (a lone half of a pair counts as 1).
 * @internal chunker use.
 */
export function countRange(text: string, start: number, end: number): number {
  scan(text, start, end, Infinity);
  return scannedTokens;
}

/**
 * Largest `e <= end`, on a code point boundary, with `countRange(text, start, e) <= budget`.
 * Returns `start` when the first code point alone is over the budget. Stops reading at the
 * first code point over the budget, so "does this piece fit?" costs at most a budget's
 * worth of text: `prefixEnd(t, a, b, max) === b`. The count of `[start, e)` is then
 * available from {@link lastPrefixTokens}.
 * @internal chunker use.
 */
export function prefixEnd(text: string, start: number, end: number, budget: number): number {
  return scan(text, start, end, budget);
}

/** Token count of the range measured by the last `prefixEnd`/`countRange` call. @internal */
export function lastPrefixTokens(): number {
  return scannedTokens;
}
