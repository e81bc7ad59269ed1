/**
 * Recursive splitting of one section into atoms: the pieces the packer (./plan.ts) joins
 * into chunks. A piece over the token (or character) limit is cut at paragraph breaks
 * (blank lines), then at the next separator of its format's order ({@link SEPARATORS}:
 * Markdown line breaks before sentence ends, so list items and table rows stay whole; plain
 * text sentence ends before line breaks, so hard-wrapped prose is cut between sentences),
 * then spaces, then grapheme clusters; a piece within the limit stays whole, and runs of
 * small pieces are grouped (~1/16 of a chunk) so that millions of words or short lines stay
 * cheap. Separators stay at the end of the piece before them, so the atoms of a section are
 * contiguous and cover it exactly (nothing is dropped or copied).
 *
 * Every cut is a grapheme-cluster boundary. Each atom remembers the strength of the break
 * after it (its level: the rank of its separator in the order), so the packer can prefer
 * ending chunks at paragraph breaks, and between sections.
 * Each character is counted a bounded number of times: linear time overall.
 */
import { boundaryAtOrBefore, clusterEnd, isBoundary } from './graphemes.ts';
import { countRange, lastPrefixTokens, prefixEnd } from './tokenizer.ts';

/** Strengths of the break after an atom; the separators between CHAR and PARAGRAPH depend on the format. */
const LEVEL_CHAR = 0;
const LEVEL_PARAGRAPH = 4;
/** The end of a section: the strongest break, preferred by the packer. */
export const LEVEL_SECTION = 5;

type Separator = 'paragraph' | 'line' | 'sentence' | 'word';

/**
 * The separators of each format, indexed by level (1 = weakest): a piece over the limit is
 * cut at the strongest separator it contains, and its parts over the limit at the next ones.
 */
export const SEPARATORS = {
  markdown: [undefined, 'word', 'sentence', 'line', 'paragraph'],
  plain: [undefined, 'word', 'line', 'sentence', 'paragraph'],
} as const satisfies Record<string, readonly [undefined, ...Separator[]]>;

export type SeparatorOrder = (typeof SEPARATORS)[keyof typeof SEPARATORS];

export interface SplitLimits {
  /** No atom counts more (the chunk limit). */
  maxTokens: number;
  /**
   * No atom is longer, in UTF-16 code units, before a whitespace run (at most
   * MAX_WHITESPACE_RUN) joins it: keeps chunks within the packer's character cap.
   */
  atomChars: number;
  /** Size of the atoms cut from text without any separator: leaves room for the overlap. */
  pieceTokens: number;
  /**
   * Target size of a group of small consecutive pieces of one level, so that millions of
   * tiny pieces (words, short lines) do not each become an atom. Small enough to keep the
   * packer's granularity fine.
   */
  groupTokens: number;
  /** Which separator each level cuts at ({@link SEPARATORS}). */
  separators: SeparatorOrder;
}

/**
 * The atoms of one section, in typed arrays (a 10 MB document can have millions).
 * Atom k is `[starts[k], starts[k + 1])`; the last one ends at `end`. A whitespace-only
 * piece never becomes an atom of its own: it joins the atom before it (or, at the start of
 * the section, the one after), so every atom — hence every chunk — holds visible text.
 */
export class AtomList {
  starts = new Int32Array(256);
  tokens = new Int32Array(256);
  levels = new Uint8Array(256);
  length = 0;
  end = 0;
  private pendingStart = -1;

  reset(end: number): void {
    this.length = 0;
    this.end = end;
    this.pendingStart = -1;
  }

  push(start: number, tokens: number, level: number): void {
    if (tokens === 0) {
      if (this.length > 0) this.levels[this.length - 1] = Math.max(this.levels[this.length - 1]!, level);
      else if (this.pendingStart < 0) this.pendingStart = start;
      return;
    }
    if (this.length === this.starts.length) this.grow();
    this.starts[this.length] = this.pendingStart >= 0 ? this.pendingStart : start;
    this.tokens[this.length] = tokens;
    this.levels[this.length] = level;
    this.pendingStart = -1;
    this.length++;
  }

  /** End of atom k. */
  endOf(k: number): number {
    return k + 1 < this.length ? this.starts[k + 1]! : this.end;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    const tokens = new Int32Array(size);
    tokens.set(this.tokens);
    const levels = new Uint8Array(size);
    levels.set(this.levels);
    this.starts = starts;
    this.tokens = tokens;
    this.levels = levels;
  }
}

/** JavaScript `\s` (the set `String#trim` removes), on one UTF-16 code unit. */
export function isSpaceCode(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const paragraphBreak = /\n(?:[^\S\n]*\n)+/g;
// A sentence ends with terminal punctuation (and closing quotes or brackets) followed by
// whitespace (a line break too: hard-wrapped prose often ends a sentence at the end of a
// line), or with an ideographic full stop / fullwidth ! ? (no space needed in CJK text).
const sentenceEnd = /[.!?\u2026\u203c\u2047-\u2049\u0589\u061f\u06d4\u0964\u0965]+["'\u2019\u201d\u00bb)\]]*\s+|[\u3002\uff01\uff1f\uff61]+[\u300d\u300f\u201d\u2019\uff09\u3011"')\]]*[^\S\n]*/g;

function regexCuts(re: RegExp, text: string, a: number, b: number, check: boolean): number[] {
  const cuts: number[] = [];
  re.lastIndex = a;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const cut = m.index + m[0].length;
    if (cut >= b) break;
    if (cut > a && (!check || isBoundary(text, cut))) cuts.push(cut);
  }
  return cuts;
}

function lineCuts(text: string, a: number, b: number): number[] {
  const cuts: number[] = [];
  for (let nl = text.indexOf('\n', a); nl >= 0 && nl + 1 < b; nl = text.indexOf('\n', nl + 1)) cuts.push(nl + 1);
  return cuts;
}

/** Word starts: after a run of whitespace, where a cluster may start. */
function wordCuts(text: string, a: number, b: number): number[] {
  const cuts: number[] = [];
  let prevSpace = isSpaceCode(text.charCodeAt(a));
  for (let i = a + 1; i < b; i++) {
    const c = text.charCodeAt(i);
    const space = isSpaceCode(c);
    if (prevSpace && !space && (c < 0x80 || isBoundary(text, i))) cuts.push(i);
    prevSpace = space;
  }
  return cuts;
}

function cutsAt(separator: Separator, text: string, a: number, b: number): number[] {
  switch (separator) {
    case 'paragraph': return regexCuts(paragraphBreak, text, a, b, false); // after LF: always a boundary
    case 'line': return lineCuts(text, a, b);
    case 'sentence': return regexCuts(sentenceEnd, text, a, b, true);
    case 'word': return wordCuts(text, a, b);
  }
}

/** Cuts text without separators into atoms of about `pieceTokens`, at cluster boundaries. */
function cutCharacters(text: string, a: number, b: number, endLevel: number, limits: SplitLimits, out: AtomList): void {
  let p = a;
  while (p < b) {
    let q = prefixEnd(text, p, Math.min(b, p + limits.atomChars), limits.pieceTokens);
    let tokens = lastPrefixTokens();
    if (q < b) {
      const cut = boundaryAtOrBefore(text, q, p);
      if (cut !== q) tokens = -1;
      q = cut;
    }
    if (q <= p) {
      // The first cluster alone is over pieceTokens: keep it whole if it fits the hard
      // limits, else (thousands of stacked marks) cut it at a code point boundary.
      const end = clusterEnd(text, p, b);
      q = end > p && fits(text, p, end, limits) ? end : prefixEnd(text, p, Math.min(b, p + limits.atomChars), limits.maxTokens);
      if (q <= p) q = Math.min(b, p + 1 + Number(isHighSurrogateAt(text, p)));
      tokens = -1;
    }
    out.push(p, tokens >= 0 ? tokens : countRange(text, p, q), q === b ? endLevel : LEVEL_CHAR);
    p = q;
  }
}

/** Whether text[a, b) can be one atom; its count is then in lastPrefixTokens(). */
function fits(text: string, a: number, b: number, limits: SplitLimits): boolean {
  return b - a <= limits.atomChars && prefixEnd(text, a, b, limits.maxTokens) === b;
}

function isHighSurrogateAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff;
}

function split(text: string, a: number, b: number, endLevel: number, level: number, limits: SplitLimits, out: AtomList): void {
  for (; level > LEVEL_CHAR; level--) {
    const cuts = cutsAt(limits.separators[level]!, text, a, b);
    if (cuts.length === 0) continue; // same piece, same count: try the next separator
    groupPieces(text, a, b, cuts, endLevel, level, limits, out);
    return;
  }
  cutCharacters(text, a, b, endLevel, limits, out);
}

/**
 * Emits the pieces of `[a, b)` between `cuts` (separators of `level`): consecutive small
 * pieces grouped up to about `groupTokens`, a larger piece alone when it fits `maxTokens`,
 * and a piece over `maxTokens` split at the next level. Every prefixEnd stops reading once
 * over its budget, so a huge piece costs a budget's worth of text, not its size.
 */
function groupPieces(text: string, a: number, b: number, cuts: number[], endLevel: number, level: number, limits: SplitLimits, out: AtomList): void {
  let p = a;
  let k = 0; // cuts[k] is the first cut after p
  while (p < b) {
    const q = prefixEnd(text, p, Math.min(b, p + limits.atomChars), limits.groupTokens);
    if (q === b) {
      out.push(p, lastPrefixTokens(), endLevel);
      return;
    }
    let m = k;
    while (m < cuts.length && cuts[m]! <= q) m++;
    if (m > k) {
      const cut = cuts[m - 1]!;
      out.push(p, countRange(text, p, cut), level);
      p = cut;
      k = m;
      continue;
    }
    const next = k < cuts.length ? cuts[k]! : b;
    const pieceLevel = next === b ? endLevel : level;
    if (fits(text, p, next, limits)) out.push(p, lastPrefixTokens(), pieceLevel);
    else split(text, p, next, pieceLevel, level - 1, limits, out);
    p = next;
    k++;
  }
}

/**
 * Appends to `out` the atoms of the section `text[start, end)`: each within
 * `limits.maxTokens`, contiguous, covering the section, cut only at cluster boundaries; the
 * last one at level {@link LEVEL_SECTION}. `out` is reset by the caller, to the end of the
 * last section it will hold (a group of sections packs as one list).
 */
export function splitSection(text: string, start: number, end: number, limits: SplitLimits, out: AtomList): void {
  if (fits(text, start, end, limits)) out.push(start, lastPrefixTokens(), LEVEL_SECTION);
  else split(text, start, end, LEVEL_SECTION, LEVEL_PARAGRAPH, limits, out);
}
