/**
 * Packing of atoms into chunks, with overlap: where the chunks of a normalised text begin
 * and end. Pure and linear in the length of the text.
 */
import { PipelineError } from '../../errors/pipeline-error.ts';
import { boundaryAtOrBefore, isBoundary } from './graphemes.ts';
import { isBlank } from './normalise.ts';
import { DEFAULT_CHUNKER_OPTIONS, validateChunkerOptions, type ChunkerOptions } from './options.ts';
import { splitSections, type Section } from './sections.ts';
import { AtomList, isSpaceCode, splitSection } from './split.ts';
import { countRange } from './tokenizer.ts';

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

/** Most text searched for an overlap, in UTF-16 code units per overlap token. */
const OVERLAP_CHARS_PER_TOKEN = 16;

function isWordStart(text: string, c: number): boolean {
  return c > 0 && isSpaceCode(text.charCodeAt(c - 1)) && !isSpaceCode(text.charCodeAt(c)) && isBoundary(text, c);
}

/**
 * Start of the overlap of a chunk whose new text starts at `hi`: the smallest position
 * `>= lo` (start of the previous chunk) with at most `budget` tokens up to `hi`, preferring
 * word starts; falls back to grapheme boundaries when no word start gives any overlap.
 * Returns `hi` for no overlap.
 */
function overlapStart(text: string, lo: number, hi: number, budget: number, maxOverlap: number): number {
  const from = Math.max(lo, hi - maxOverlap * OVERLAP_CHARS_PER_TOKEN);
  const fits = (c: number): boolean => countRange(text, c, hi) <= budget;
  const words: number[] = [];
  for (let c = from; c < hi; c++) if (isWordStart(text, c)) words.push(c);
  // Smallest word start that fits (counts grow as the start moves left).
  let left = 0;
  let right = words.length;
  while (left < right) {
    const mid = (left + right) >> 1;
    if (fits(words[mid]!)) right = mid;
    else left = mid + 1;
  }
  if (left < words.length && countRange(text, words[left]!, hi) > 0) return words[left]!;
  // No word start fits: the smallest cluster boundary that does.
  let low = from;
  let high = hi;
  let best = hi;
  while (low < high) {
    const mid = (low + high) >> 1;
    const c = boundaryAtOrBefore(text, mid, lo);
    if (fits(c)) {
      best = c;
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return best;
}

function packSection(text: string, section: Section, atoms: AtomList, options: ChunkerOptions, plans: ChunkPlan[]): void {
  const { maxTokens, overlapTokens } = options;
  let previousStart = -1;
  let i = 0;
  while (i < atoms.length) {
    const contentStart = atoms.starts[i]!;
    let start = contentStart;
    let overlap = 0;
    const budget = Math.min(overlapTokens, maxTokens - atoms.tokens[i]!);
    if (previousStart >= 0 && budget > 0) {
      start = overlapStart(text, previousStart, contentStart, budget, overlapTokens);
      overlap = countRange(text, start, contentStart);
    }
    // Take every atom that fits; end after the strongest break that leaves the chunk at
    // least half full (a paragraph end rather than a sentence end, and so on).
    const room = maxTokens - overlap;
    let sum = 0;
    let j = i;
    let best = -1;
    let bestLevel = -1;
    while (j < atoms.length && sum + atoms.tokens[j]! <= room) {
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
    if (tokenCount > maxTokens) {
      // Unreachable while countTokens is subadditive (tested); never emit an oversize chunk.
      throw new PipelineError('INTERNAL', `chunker produced ${tokenCount} tokens, over the limit of ${maxTokens}`);
    }
    plans.push({ start, contentStart, end, tokenCount, headingPath: section.headingPath });
    previousStart = start;
    i = last + 1;
  }
}

/**
 * Plans the chunks of a normalised text (see `normaliseText`): Markdown sections first
 * (./sections.ts), each split recursively (./split.ts) and packed greedily up to
 * `maxTokens`, each chunk after the first of its section starting with up to
 * `overlapTokens` from the end of the previous one (from a word start when possible).
 *
 * Guarantees: every plan has `tokenCount <= maxTokens` and at least one non-whitespace
 * character in its new text; plans never cross a section; cuts fall on grapheme-cluster
 * boundaries; the new parts join to `text`. Blank text gives `[]`. Deterministic.
 * @throws ConfigError on invalid options.
 */
export function planChunks(text: string, options: ChunkerOptions = DEFAULT_CHUNKER_OPTIONS): ChunkPlan[] {
  const valid = validateChunkerOptions(options);
  if (isBlank(text)) return [];
  const limits = {
    maxTokens: valid.maxTokens,
    pieceTokens: valid.maxTokens - valid.overlapTokens,
    groupTokens: Math.max(1, Math.floor(valid.maxTokens / GROUPS_PER_CHUNK)),
  };
  const plans: ChunkPlan[] = [];
  const atoms = new AtomList();
  for (const section of splitSections(text)) {
    splitSection(text, section.start, section.end, limits, atoms);
    packSection(text, section, atoms, valid, plans);
  }
  return plans;
}
