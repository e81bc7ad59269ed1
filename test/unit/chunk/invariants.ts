/**
 * Shared checks of the chunker's contract, used by several test files: every plan of a
 * text is checked against the text itself, independently of how the chunker got there.
 */
import { expect } from 'vitest';
import { smallSectionTokens } from '../../../src/stages/chunk/groups.ts';
import type { ChunkerOptions } from '../../../src/stages/chunk/options.ts';
import { maxChunkChars, planChunks, type ChunkPlan, type TextFormat } from '../../../src/stages/chunk/plan.ts';
import { splitSections, type Section } from '../../../src/stages/chunk/sections.ts';
import { countTokens } from '../../../src/stages/chunk/tokenizer.ts';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Every grapheme-cluster boundary of `text`, from ICU. Segments line by line (a boundary
 * always follows LF) because ICU's segment iterator slows down badly on long strings.
 */
export function graphemeBoundaries(text: string): Set<number> {
  const out = new Set<number>([0, text.length]);
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    for (const { index } of segmenter.segment(text.slice(start, end))) out.add(start + index);
    start = end;
  }
  return out;
}

/** Joins the new text of every plan (each chunk with its overlap removed). */
export function reconstruct(text: string, plans: readonly ChunkPlan[]): string {
  return plans.map((p) => text.slice(p.contentStart, p.end)).join('');
}

export interface CheckOptions {
  /** Check that every cut falls on a grapheme boundary (needs a text of moderate size). */
  graphemes?: boolean;
  /** How the text is written (default markdown). */
  format?: TextFormat;
}

/**
 * Plans `text` (already normalised) and asserts the whole contract; returns the plans.
 * Uses plain loops and a single expect per property so a 10 MB text stays fast.
 */
export function planAndCheck(text: string, options: ChunkerOptions, check: CheckOptions = {}): ChunkPlan[] {
  const format = check.format ?? 'markdown';
  const plans = planChunks(text, options, format);
  if (!/\S/.test(text)) {
    expect(plans).toEqual([]);
    return plans;
  }
  expect(reconstruct(text, plans) === text, 'chunks without overlaps give the text back').toBe(true);
  const sections: Section[] = format === 'markdown' ? splitSections(text) : [{ start: 0, end: text.length, headingPath: [] }];
  const small = smallSectionTokens(options.maxTokens);
  const boundaries = check.graphemes ? graphemeBoundaries(text) : undefined;
  const problems: string[] = [];
  let section = 0;
  let previous: ChunkPlan | undefined;
  for (const [k, p] of plans.entries()) {
    while (sections[section]!.end <= p.contentStart) section++;
    const s = sections[section]!;
    const chunk = text.slice(p.start, p.end);
    const tokens = countTokens(chunk);
    const startsSection = p.contentStart === s.start;
    if (tokens !== p.tokenCount) problems.push(`#${k}: tokenCount ${p.tokenCount} but countTokens says ${tokens}`);
    if (tokens > options.maxTokens) problems.push(`#${k}: ${tokens} tokens > ${options.maxTokens}`);
    if (chunk.length > maxChunkChars(options)) problems.push(`#${k}: ${chunk.length} chars > ${maxChunkChars(options)}`);
    if (p.start < s.start) problems.push(`#${k}: overlap reaches back into another section`);
    // Merged sections: a chunk goes on into a section that is not small only from a small lead-in.
    for (let n = section + 1; n < sections.length && sections[n]!.start < p.end; n++) {
      const next = sections[n]!;
      if (countTokens(text.slice(next.start, next.end)) >= small && countTokens(text.slice(p.contentStart, next.start)) >= small) {
        problems.push(`#${k}: runs from ${countTokens(text.slice(p.contentStart, next.start))} tokens of text into a section that is not small`);
      }
    }
    if (p.headingPath !== s.headingPath && JSON.stringify(p.headingPath) !== JSON.stringify(s.headingPath)) problems.push(`#${k}: heading path`);
    if (!/\S/.test(text.slice(p.contentStart, p.end))) problems.push(`#${k}: new text is blank`);
    if ((previous === undefined || startsSection) && p.start !== p.contentStart) problems.push(`#${k}: a chunk that starts a section has an overlap`);
    if (previous !== undefined && p.start < previous.start) problems.push(`#${k}: overlap reaches before the previous chunk`);
    if (countTokens(text.slice(p.start, p.contentStart)) > options.overlapTokens) problems.push(`#${k}: overlap too long`);
    if (boundaries && !(boundaries.has(p.start) && boundaries.has(p.contentStart) && boundaries.has(p.end))) {
      problems.push(`#${k}: cut inside a grapheme cluster at ${p.start}/${p.contentStart}/${p.end}`);
    }
    previous = p;
    if (problems.length > 5) break;
  }
  expect(problems).toEqual([]);
  return plans;
}

/** Small deterministic PRNG (mulberry32), so property tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one element of a non-empty array. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

const WORDS = ['the', 'pipeline', 'ingests', 'documents', 'from', 'Kafka', 'and', 'stores', 'vectors', 'in', 'PostgreSQL', 'idempotent', 'offsets', 'x', 'rebalance', '42', '3.14159', 'e.g.', "don't", 'naïve', 'Ünïcödé'];
const PIECES = [
  ' ', ' ', ' ', ' ', ' ', '\n', '\n\n', '. ', ', ', '! ', '? ', '\t',
  '中文文本', '日本語のテキスト。', '한국어 문장', '。', '😀', '👨‍👩‍👧', '🇫🇷', '👍🏽', 'e\u0301', 'a\u0308\u0323', '\u0915\u094d\u0937',
  '\n# Title\n', '\n## Sub section ##\n', '\n### Deep\n', '\n#### \n', '\n```sh\n# not a heading\n', '\n```\n', '\n~~~\n',
  'https://example.com/a/b?c=d', '\u00a0', '\u3000', 'x'.repeat(300), '🙂'.repeat(40), '字'.repeat(200),
];

/** A random Markdown-ish text mixing scripts, emoji, combining marks, headings and fences. */
export function randomText(random: () => number, length: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const part = random() < 0.6 ? pick(random, WORDS) : pick(random, PIECES);
    parts.push(part);
    size += part.length;
  }
  return parts.join('');
}
