/**
 * Packing of atoms into chunks, with overlap: where the chunks of a normalised text begin
 * and end. Pure and linear in the length of the text.
 */
import { PipelineError } from '../../errors/pipeline-error.ts';
import { boundaryAtOrAfter, isBoundary } from './graphemes.ts';
import { groupSections } from './groups.ts';
import { isBlank, MAX_WHITESPACE_RUN } from './normalise.ts';
import { DEFAULT_CHUNKER_OPTIONS, validateChunkerOptions, type ChunkerOptions } from './options.ts';
import { splitSections, type Section } from './sections.ts';
import { AtomList, isSpaceCode, SEPARATORS, splitSection, type SplitLimits } from './split.ts';
import { countRange, lastPrefixTokens, prefixEnd } from './tokenizer.ts';

/**
 * How a text is written: `markdown` has ATX headings (`# Title`) that start sections;
 * `plain` has none (a `#` line is a comment or a tag, not a heading) and is one section.
 */
export type TextFormat = 'markdown' | 'plain';

/**
 * One chunk as offsets into the normalised text. `text.slice(start, end)` is the chunk's
 * text; `text.slice(start, contentStart)` is the overlap it repeats from the end of the
 * previous chunk (empty for the first chunk of a section); `text.slice(contentStart, end)`
 * is the text it adds. The added parts of all plans, in order, are contiguous and cover the
 * whole text: joining them gives the text back exactly.
 */
export interface ChunkPlan {
  start: number;
  contentStart: number;
  end: number;
  /** `countTokens(text.slice(start, end))`, always `<= maxTokens`. */
  tokenCount: number;
  /** Heading path of the chunk's section (shared by the plans of that section). */
  headingPath: string[];
}

/** Small pieces are grouped into atoms of about maxTokens / GROUPS_PER_CHUNK (see split.ts). */
const GROUPS_PER_CHUNK = 16;

/**
 * Character cap of a chunk, in UTF-16 code units per token of `maxTokens` (at least
 * {@link MIN_CHUNK_CHARS}). Whitespace costs no tokens, so only this bounds how long
 * whitespace-heavy text (deep indentation, padded tables) makes a chunk; ordinary text
 * hits the token limit long before (English: ~4 code units per token, CJK: 1).
 */
export const CHARS_PER_TOKEN = 16;
export const MIN_CHUNK_CHARS = 4096;

/** Character cap of one chunk for the given settings: `max(16 * maxTokens, 4096)`. */
export function maxChunkChars(options: ChunkerOptions): number {
  return Math.max(CHARS_PER_TOKEN * options.maxTokens, MIN_CHUNK_CHARS);
}

/** Largest word start (a non-space cluster start after a space) in [from, c), or -1. */
function previousWordStart(text: string, c: number, from: number): number {
  for (let i = c - 1; i >= from && i > 0; i--) {
    if (!isSpaceCode(text.charCodeAt(i)) && isSpaceCode(text.charCodeAt(i - 1)) && isBoundary(text, i)) return i;
  }
  return -1;
}

/** Start of the code point at or after `i` (steps off the low half of a surrogate pair). */
function codePointStart(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff && i > 0 && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800 ? i + 1 : i;
}

/**
 * Start of the overlap of a chunk whose new text starts at `hi`: the smallest position
 * `>= lo` (start of the previous chunk) with at most `budget` tokens up to `hi`, at a word
 * start; only in text without spaces (no word start in reach) at a grapheme boundary.
 * Returns `hi` for no overlap. Costs about the length of the overlap, not of the chunk.
 */
function overlapStart(text: string, lo: number, hi: number, budget: number, charBudget: number): number {
  const from = Math.max(lo, hi - charBudget);
  // Whole words, right to left. Words are separated by spaces, which end every token run,
  // so the sum of their counts is the exact count of the overlap.
  const lastWord = previousWordStart(text, hi, from);
  let best = hi;
  let total = 0;
  for (let c = hi, w = lastWord; w >= 0; c = w, w = previousWordStart(text, c, from)) {
    total += countRange(text, w, c);
    if (total > budget) break;
    best = w;
  }
  // With words around, a word start or nothing: a stray "." helps no one.
  if (lastWord >= 0) return best;
  // Text without spaces (a long token, CJK): cut inside it. Visible text costs at least
  // 1/4 token per code unit, so the answer lies within 4 * budget code units of the end.
  let tail = hi;
  while (tail > from && isSpaceCode(text.charCodeAt(tail - 1))) tail--;
  let low = Math.max(from, tail - 4 * budget - 8);
  let high = hi; // invariant: the overlap from `high` fits
  while (low < high) {
    const mid = codePointStart(text, (low + high) >> 1);
    if (mid < high && countRange(text, mid, hi) <= budget) high = mid;
    else low = ((low + high) >> 1) + 1;
  }
  const start = boundaryAtOrAfter(text, high, lo, hi);
  return start < hi && countRange(text, start, hi) <= budget ? start : hi;
}

/**
 * Packs the atoms of a group of consecutive sections (./groups.ts) into plans. A chunk's
 * heading path is that of the section its new text starts in; its overlap never reaches
 * back before the start of that section, and a chunk that starts a section has none.
 */
function packGroup(text: string, sections: readonly Section[], atoms: AtomList, options: ChunkerOptions, plans: ChunkPlan[]): void {
  const { maxTokens, overlapTokens } = options;
  const maxChars = maxChunkChars(options);
  let previousStart = -1;
  let s = 0;
  let i = 0;
  while (i < atoms.length) {
    const contentStart = atoms.starts[i]!;
    while (sections[s]!.end <= contentStart) s++;
    const section = sections[s]!;
    let start = contentStart;
    let overlap = 0;
    const budget = Math.min(overlapTokens, maxTokens - atoms.tokens[i]!);
    const charBudget = Math.min(overlapTokens * CHARS_PER_TOKEN, maxChars - (atoms.endOf(i) - contentStart));
    if (previousStart >= 0 && contentStart > section.start && budget > 0 && charBudget > 0) {
      start = overlapStart(text, Math.max(previousStart, section.start), contentStart, budget, charBudget);
      overlap = countRange(text, start, contentStart);
    }
    // Take every atom that fits; end after the strongest break that leaves the chunk at
    // least half full (a section end rather than a paragraph end, and so on).
    const room = maxTokens - overlap;
    let sum = 0;
    let j = i;
    let best = -1;
    let bestLevel = -1;
    while (j < atoms.length && sum + atoms.tokens[j]! <= room && atoms.endOf(j) - start <= maxChars) {
      sum += atoms.tokens[j]!;
      if (2 * (overlap + sum) >= maxTokens && atoms.levels[j]! >= bestLevel) {
        best = j;
        bestLevel = atoms.levels[j]!;
      }
      j++;
    }
    const last = j === atoms.length || best < 0 ? j - 1 : best;
    const end = atoms.endOf(last);
    const tokenCount = countRange(text, start, end);
    if (tokenCount > maxTokens || end - start > maxChars) {
      // Unreachable while countTokens is subadditive (tested); never emit an oversize chunk.
      throw new PipelineError('INTERNAL', `chunker produced ${tokenCount} tokens / ${end - start} chars, over ${maxTokens} / ${maxChars}`);
    }
    plans.push({ start, contentStart, end, tokenCount, headingPath: section.headingPath });
    previousStart = start;
    i = last + 1;
  }
}

/** Token count of `text[start, end)`, or `cap + 1` when it is over `cap` (reads at most a chunk's worth). */
function cappedCount(text: string, start: number, end: number, cap: number): number {
  return prefixEnd(text, start, end, cap) === end ? lastPrefixTokens() : cap + 1;
}

/**
 * Plans the chunks of a normalised text (see `normaliseText`). Markdown is cut into sections
 * at its headings (./sections.ts) and small sections are merged with their neighbours
 * (./groups.ts); plain text is one section. Each group of sections is split recursively
 * (./split.ts: paragraphs first, then lines or sentences as the format prefers) and packed
 * greedily up to `maxTokens`, ending chunks at the strongest break that leaves them at least
 * half full; each chunk that does not start a section starts with up to `overlapTokens`
 * from the end of the previous one (from a word start when possible).
 *
 * Guarantees: every plan has `tokenCount <= maxTokens`, at most `maxChunkChars(options)`
 * UTF-16 code units, and at least one non-whitespace character in its new text; a plan
 * crosses a section boundary only inside a group of merged sections, and takes the heading
 * path of the section its new text starts in; cuts fall on grapheme-cluster boundaries
 * (except inside a single cluster too big for one chunk); the new parts join to `text`.
 * Blank text gives `[]`. Deterministic; linear time.
 * @throws ConfigError on invalid options.
 */
export function planChunks(text: string, options: ChunkerOptions = DEFAULT_CHUNKER_OPTIONS, format: TextFormat = 'markdown'): ChunkPlan[] {
  const valid = validateChunkerOptions(options);
  if (isBlank(text)) return [];
  const limits: SplitLimits = {
    maxTokens: valid.maxTokens,
    atomChars: maxChunkChars(valid) - MAX_WHITESPACE_RUN,
    pieceTokens: valid.maxTokens - valid.overlapTokens,
    groupTokens: Math.max(1, Math.floor(valid.maxTokens / GROUPS_PER_CHUNK)),
    separators: SEPARATORS[format],
  };
  const sections = format === 'markdown' ? splitSections(text) : [{ start: 0, end: text.length, headingPath: [] }];
  const starts = groupSections(sections.map((s) => cappedCount(text, s.start, s.end, valid.maxTokens)), valid.maxTokens);
  const plans: ChunkPlan[] = [];
  const atoms = new AtomList();
  for (let g = 0; g < starts.length; g++) {
    const group = sections.slice(starts[g], starts[g + 1] ?? sections.length);
    atoms.reset(group.at(-1)!.end);
    for (const section of group) splitSection(text, section.start, section.end, limits, atoms);
    packGroup(text, group, atoms, valid, plans);
  }
  return plans;
}
