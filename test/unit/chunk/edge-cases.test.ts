import { describe, expect, it } from 'vitest';
import { MAX_WHITESPACE_RUN, normaliseText } from '../../../src/stages/chunk/normalise.ts';
import { DEFAULT_CHUNKER_OPTIONS, type ChunkerOptions } from '../../../src/stages/chunk/options.ts';
import { maxChunkChars, planChunks } from '../../../src/stages/chunk/plan.ts';
import { chunkDocument } from '../../../src/stages/chunk/transform.ts';
import { countTokens } from '../../../src/stages/chunk/tokenizer.ts';
import { graphemeBoundaries, planAndCheck, randomText, reconstruct, seededRandom } from './invariants.ts';

const ctx = { version: 1 };
const small: ChunkerOptions = { maxTokens: 32, overlapTokens: 8 };
const MB10 = 10 * 1024 * 1024;

/** Deterministic base64-looking text: what a pasted blob or data URI looks like. */
function base64Line(length: number): string {
  const alphabet = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  const random = seededRandom(42);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = alphabet[Math.floor(random() * 64)]!;
  return bytes.toString('latin1');
}

// The time limit under test is the assertion inside; the test timeout only leaves room for
// building and checking 10 MB on a busy two-core CI machine.
const HEAVY_TEST_TIMEOUT_MS = 60_000;

describe('chunk transform on empty and whitespace-only text', () => {
  it.each(['', ' ', '\n\n\n', '\t \r\n \u00a0\u3000\ufeff', '\u0000\u0000'])('returns no chunks for %j (the raw validator dead-letters it first)', (text) => {
    expect(chunkDocument({ id: 'empty', text }, ctx)).toEqual([]);
    expect(planChunks(normaliseText(text))).toEqual([]);
  });

  it('keeps surrounding whitespace inside the chunks of a tiny document', () => {
    const chunks = chunkDocument({ id: 'd', text: '\n\n  hello  \n\n' }, ctx);
    expect(chunks.map((c) => c.text)).toEqual(['\n\n  hello  \n\n']);
  });
});

describe('chunk transform on a 10 MB line without spaces', () => {
  // How fast is a benchmark figure, not a test assertion; a quadratic cut would not finish within the test timeout.
  it('cuts a base64 blob into chunks within the limit that give the line back', () => {
    const text = base64Line(MB10);
    const chunks = chunkDocument({ id: 'blob', text }, ctx);
    const total = countTokens(text);
    const { maxTokens, overlapTokens } = DEFAULT_CHUNKER_OPTIONS;
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(total / maxTokens));
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(total / (maxTokens - overlapTokens - 4)) + 1);
    expect(chunks.every((c) => c.tokenCount <= maxTokens && countTokens(c.text) === c.tokenCount)).toBe(true);
    expect(chunks.every((c, k) => c.seq === k && c.count === chunks.length)).toBe(true);
    const plans = planChunks(text);
    expect(reconstruct(text, plans) === text).toBe(true);
    // Consecutive chunks overlap even without word boundaries.
    expect(plans.slice(1).every((p) => p.contentStart - p.start > 0)).toBe(true);
  }, HEAVY_TEST_TIMEOUT_MS);

  it('cuts a line of one repeated letter into exactly ceil(length / letters per chunk) chunks', () => {
    const text = 'x'.repeat(MB10);
    const plans = planAndCheck(text, DEFAULT_CHUNKER_OPTIONS);
    // Each chunk adds (256 - 32) tokens of 4 letters and repeats 32 tokens of the previous one.
    expect(plans.length).toBe(Math.ceil(MB10 / (224 * 4)));
    expect(plans[1]!.contentStart - plans[1]!.start).toBe(32 * 4);
  }, HEAVY_TEST_TIMEOUT_MS);
});

describe('chunk transform on other scripts and symbols', () => {
  it('cuts CJK text without spaces at sentence ends, within the limit', () => {
    const text = '数据从卡夫卡读取，经过分块、嵌入和路由，最后写入向量数据库。每个阶段都可以独立扩展！'.repeat(40) + '\n' + '日本語の文章は単語の間に空白を入れない'.repeat(30);
    const plans = planAndCheck(text, small, { graphemes: true });
    expect(plans.length).toBeGreaterThan(20);
    const sentenceEnds = plans.slice(0, -1).filter((p) => /[。！]$/.test(text.slice(p.start, p.end)));
    expect(sentenceEnds.length).toBeGreaterThan(0);
  });

  it('never splits an emoji sequence, a flag or a skin tone', () => {
    const text = '👨‍👩‍👧‍👦🇫🇷👍🏽❤️‍🔥🏳️‍🌈'.repeat(300) + ' ' + '😀'.repeat(500);
    for (const options of [small, { maxTokens: 16, overlapTokens: 15 }, DEFAULT_CHUNKER_OPTIONS]) {
      planAndCheck(text, options, { graphemes: true });
    }
  });

  it('never separates a combining mark from its base letter', () => {
    // A mark right after a space belongs to the space: that space is no place to cut.
    const text = 'Cafe\u0301 nai\u0308ve re\u0301sume\u0301 '.repeat(200) + 'a\u0301\u0302\u0303'.repeat(400) + ' ab \u0301cd'.repeat(300);
    for (const options of [small, { maxTokens: 16, overlapTokens: 12 }]) {
      const plans = planAndCheck(text, options, { graphemes: true });
      for (const p of plans) expect(text.slice(p.contentStart, p.end)).not.toMatch(/^[\u0300-\u036f]/);
    }
  });

  it('cuts a cluster longer than the limit at code point boundaries (the one exception)', () => {
    const zalgo = `a${'\u0301'.repeat(400)}`;
    const plans = planAndCheck(zalgo, { maxTokens: 16, overlapTokens: 0 });
    expect(plans.length).toBeGreaterThan(1);
  });

  it('keeps Hangul, Devanagari and Thai within the limit', () => {
    const text = '한국어 문장은 띄어쓰기를 합니다. '.repeat(60) + 'क्षत्रिय हिन्दी पाठ। '.repeat(60) + 'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ'.repeat(40);
    planAndCheck(text, small, { graphemes: true });
  });
});

describe('chunk transform normalisation', () => {
  it('turns CRLF and lone CR into LF, and the chunks give the LF text back', () => {
    const text = '# Title\r\n\r\nFirst line\r\nsecond line\rthird line.\r\n'.repeat(30);
    const normalised = normaliseText(text);
    expect(normalised).toBe(text.replace(/\r\n?/g, '\n'));
    const chunks = chunkDocument({ id: 'crlf', text }, ctx, small);
    expect(chunks.every((c) => !c.text.includes('\r'))).toBe(true);
    planAndCheck(normalised, small, { graphemes: true });
    expect(chunks.map((c) => c.headingPath[0])).toContain('Title');
  });

  it('removes NUL bytes', () => {
    const text = 'nul\u0000 inside\u0000\u0000 the text';
    expect(normaliseText(text)).toBe('nul inside the text');
    expect(chunkDocument({ id: 'nul', text }, ctx).map((c) => c.text)).toEqual(['nul inside the text']);
  });

  it('replaces lone surrogates with U+FFFD and keeps valid pairs', () => {
    expect(normaliseText('a\ud800b\udc00c😀')).toBe('a\ufffdb\ufffdc😀');
    expect(chunkDocument({ id: 's', text: 'x\ud83d' }, ctx)[0]!.text).toBe('x\ufffd');
  });

  it('keeps both ends of a whitespace run longer than 256, so blank regions cannot make giant chunks', () => {
    const run = `\n${' '.repeat(1000)}\n\n    `;
    const normalised = normaliseText(`end of a paragraph.${run}Next paragraph.`);
    expect(normalised).toBe(`end of a paragraph.${run.slice(0, MAX_WHITESPACE_RUN / 2)}${run.slice(-MAX_WHITESPACE_RUN / 2)}Next paragraph.`);
    expect(normaliseText(' '.repeat(MAX_WHITESPACE_RUN))).toBe(' '.repeat(MAX_WHITESPACE_RUN));
    const mostlyBlank = `Hello${' '.repeat(5_000_000)}world${'\n'.repeat(3_000_000)}end`;
    const chunks = chunkDocument({ id: 'blank', text: mostlyBlank }, ctx);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.text.length).toBe(5 + 256 + 5 + 256 + 3);
  });

  it('bounds chunks in characters when whitespace makes text long but cheap', () => {
    const text = normaliseText(`x${' '.repeat(200)}`.repeat(5_000));
    const plans = planAndCheck(text, DEFAULT_CHUNKER_OPTIONS);
    expect(Math.max(...plans.map((p) => p.end - p.start))).toBeLessThanOrEqual(maxChunkChars(DEFAULT_CHUNKER_OPTIONS));
    expect(plans.length).toBeGreaterThan(200);
  });

  it('changes nothing else: tabs, controls, NBSP and Unicode forms are kept', () => {
    const text = 'tab\there\u0001 nbsp\u00a0here e\u0301 \u00e9';
    expect(normaliseText(text)).toBe(text);
  });
});

describe('chunk transform properties on random documents', () => {
  it('holds every invariant for random text and random settings', () => {
    const random = seededRandom(2024);
    for (let round = 0; round < 60; round++) {
      const text = normaliseText(randomText(random, 200 + Math.floor(random() * 6000)));
      const maxTokens = 16 + Math.floor(random() * 300);
      const overlapTokens = random() < 0.2 ? 0 : Math.floor(random() * random() * maxTokens);
      planAndCheck(text, { maxTokens, overlapTokens }, { graphemes: true });
    }
  });

  it('cuts only where ICU sees a grapheme boundary, on text full of joiners and marks', () => {
    const random = seededRandom(99);
    const text = normaliseText(randomText(random, 20_000));
    const boundaries = graphemeBoundaries(text);
    for (const p of planChunks(text, { maxTokens: 16, overlapTokens: 4 })) {
      expect(boundaries.has(p.start) && boundaries.has(p.contentStart) && boundaries.has(p.end)).toBe(true);
    }
  });
});
