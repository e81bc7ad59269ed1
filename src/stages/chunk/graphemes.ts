/**
 * Grapheme-cluster boundaries (UAX #29, through ICU's Intl.Segmenter) at chosen positions of
 * a long text. The chunker only ever cuts at positions these functions accept, so no chunk
 * splits a surrogate pair, a base letter from its combining marks, or an emoji sequence.
 *
 * Speed: ICU's segmenter costs time linear in the string it is given on *every*
 * `containing()` call, and its iterator slows down badly on long strings, so it is never
 * run over a whole document. Positions between two simple characters (Latin, CJK) are
 * decided without it; other positions on a small window whose start is a known boundary
 * (such a position, or the caller's `floor`), else on {@link LOOKBACK} code units of
 * context — exact unless one cluster or one run of regional indicators is longer.
 *
 * Grapheme rules do not depend on the locale; 'en' is fixed so the process locale cannot
 * matter. They do depend on the Unicode version of Node's ICU (new emoji sequences).
 */

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Context read before a position when no known boundary is closer. */
export const LOOKBACK = 1024;

/** Longest cluster kept whole; longer ones (e.g. thousands of stacked marks) may be cut. */
export const MAX_CLUSTER = 4096;

const LF = 10;
const CR = 13;

/**
 * Code units that never join a neighbour into a cluster (UAX #29 class Other or Control,
 * or a Hangul syllable, which only joins trailing jamo): Latin up to U+02FF, CJK symbols,
 * kana, ideographs, Hangul syllables and fullwidth forms — minus their combining marks.
 */
function isSimple(c: number): boolean {
  return c < 0x300 ||
    (c >= 0x3000 && c <= 0x9fff && !(c >= 0x302a && c <= 0x302f) && c !== 0x3099 && c !== 0x309a) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xff01 && c <= 0xff9d);
}

/**
 * True when there is certainly a boundary before text[i], judging from the two code units
 * around it: between two simple characters except CR LF (GB3), and around LF (GB4, GB5).
 */
function obviousBoundary(text: string, i: number): boolean {
  const a = text.charCodeAt(i - 1);
  const b = text.charCodeAt(i);
  return a === LF || b === LF ? a !== CR : isSimple(a) && isSimple(b) && a !== CR;
}

/**
 * Largest grapheme boundary `g` with `floor <= g <= pos`. `floor` must itself be a boundary
 * (0, a chunk or atom start). Positions at or past the end of the text are boundaries.
 */
export function boundaryAtOrBefore(text: string, pos: number, floor: number): number {
  if (pos <= floor) return floor;
  if (pos >= text.length) return text.length;
  if (obviousBoundary(text, pos)) return pos;
  // Find a start that is surely a boundary, close enough to keep the segmenter cheap.
  let start = pos - 1;
  const stop = Math.max(floor, pos - 64);
  while (start > stop && !obviousBoundary(text, start)) start--;
  if (start === stop && stop !== floor && !obviousBoundary(text, stop)) start = Math.max(floor, pos - LOOKBACK);
  const window = text.slice(start, Math.min(text.length, pos + 2));
  const segment = segmenter.segment(window).containing(pos - start);
  return segment === undefined ? pos : start + segment.index;
}

/** True when a chunk may start or end before text[pos]. */
export function isBoundary(text: string, pos: number): boolean {
  return boundaryAtOrBefore(text, pos, 0) === pos;
}

/**
 * End of the grapheme cluster that starts at `pos` (a boundary), not past `limit`.
 * Returns -1 when the cluster is longer than {@link MAX_CLUSTER} code units.
 */
export function clusterEnd(text: string, pos: number, limit: number): number {
  if (pos >= limit) return limit;
  if (pos + 1 >= limit || obviousBoundary(text, pos + 1)) return pos + 1;
  const windowEnd = Math.min(limit, pos + MAX_CLUSTER);
  const first = segmenter.segment(text.slice(pos, windowEnd)).containing(0);
  if (first === undefined) return pos + 1;
  const end = pos + first.segment.length;
  return end >= windowEnd && windowEnd < limit ? -1 : end;
}

/**
 * Smallest grapheme boundary `g` with `pos <= g <= ceiling`; `floor <= pos` and `ceiling`
 * must be boundaries. A cluster longer than {@link MAX_CLUSTER} yields `ceiling`.
 */
export function boundaryAtOrAfter(text: string, pos: number, floor: number, ceiling: number): number {
  if (pos >= ceiling) return ceiling;
  const before = boundaryAtOrBefore(text, pos, floor);
  if (before === pos) return pos;
  const end = clusterEnd(text, before, ceiling);
  return end < 0 ? ceiling : end;
}
