import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RawDocument } from '../../../src/topics/messages.ts';
import { normaliseText } from '../../../src/stages/chunk/normalise.ts';
import { DEFAULT_CHUNKER_OPTIONS } from '../../../src/stages/chunk/options.ts';
import { planChunks } from '../../../src/stages/chunk/plan.ts';
import { chunkDocument, chunkId, contentHash, deleteRecord } from '../../../src/stages/chunk/transform.ts';
import { countTokens } from '../../../src/stages/chunk/tokenizer.ts';
import { planAndCheck } from './invariants.ts';

const guide = readFileSync(new URL('./fixtures/operations-guide.md', import.meta.url), 'utf8');
const doc: RawDocument = {
  id: 'ops-guide',
  text: guide,
  title: 'Operating era-ingest',
  source: 'file:///docs/operations.md',
  minister: 'platform',
  category: 'runbook',
  metadata: { owner: 'sre', tags: ['kafka', 'ops'] },
  jobId: 'job-1',
};
const ctx = { version: 1_720_000_000_000 };

describe('chunk transform on real Markdown', () => {
  it('gives the document back when the overlaps are removed', () => {
    for (const options of [DEFAULT_CHUNKER_OPTIONS, { maxTokens: 64, overlapTokens: 8 }, { maxTokens: 16, overlapTokens: 15 }, { maxTokens: 100, overlapTokens: 0 }]) {
      const chunks = chunkDocument(doc, ctx, options);
      const plans = planAndCheck(normaliseText(guide), options, { graphemes: true });
      expect(chunks.map((c) => c.text)).toEqual(plans.map((p) => guide.slice(p.start, p.end)));
      const withoutOverlaps = chunks.map((c, k) => c.text.slice(plans[k]!.contentStart - plans[k]!.start)).join('');
      expect(withoutOverlaps).toBe(guide);
    }
  });

  it('keeps every chunk, overlap included, within the token limit', () => {
    const chunks = chunkDocument(doc, ctx, { maxTokens: 64, overlapTokens: 16 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) {
      expect(countTokens(chunk.text)).toBe(chunk.tokenCount);
      expect(chunk.tokenCount).toBeLessThanOrEqual(64);
    }
  });

  it('records the heading path of each chunk and never mixes two sections', () => {
    const chunks = chunkDocument(doc, ctx);
    expect(chunks.map((c) => c.headingPath)).toEqual([
      ['Operating era-ingest'],
      ['Operating era-ingest', 'Deploying'],
      ['Operating era-ingest', 'Deploying', 'Before the first deployment'],
      ['Operating era-ingest', 'Deploying', 'Rolling upgrades'],
      ['Operating era-ingest', 'Scaling'],
      ['Operating era-ingest', 'Scaling'],
      ['Operating era-ingest', 'Troubleshooting', 'A document does not appear in search'],
      ['Operating era-ingest', 'Troubleshooting', 'The dead-letter topic grows'],
    ]);
    // The "# ..." comment in the bash block is code, not a heading.
    expect(chunks[2]!.text).toContain('# Create topics and check the embedder');
    // "## Troubleshooting" has no text of its own: it opens its first subsection's chunk.
    expect(chunks[6]!.text.startsWith('## Troubleshooting\n\n### A document')).toBe(true);
  });

  it('starts a chunk with the end of the previous one, at a word start', () => {
    const text = normaliseText(guide);
    const plans = planChunks(text, { maxTokens: 64, overlapTokens: 16 });
    const overlaps = plans.filter((p) => p.start < p.contentStart).map((p) => text.slice(p.start, p.contentStart));
    expect(overlaps.length).toBeGreaterThan(5);
    for (const overlap of overlaps) {
      expect(overlap).toMatch(/^\S/);
      expect(countTokens(overlap)).toBeLessThanOrEqual(16);
    }
    // Paragraph ends are preferred chunk ends: most chunks end with a line break.
    expect(plans.filter((p) => text[p.end - 1] === '\n').length / plans.length).toBeGreaterThan(0.5);
  });

  it('fills every field of the chunk records', () => {
    const chunks = chunkDocument(doc, ctx);
    const hash = contentHash(doc);
    chunks.forEach((chunk, seq) => {
      expect(chunk).toEqual({
        kind: 'chunk',
        chunkId: chunkId(doc.id, hash, seq, DEFAULT_CHUNKER_OPTIONS),
        seq,
        count: chunks.length,
        text: expect.any(String),
        tokenCount: countTokens(chunk.text),
        headingPath: expect.any(Array),
        docId: 'ops-guide',
        version: ctx.version,
        contentHash: hash,
        title: doc.title,
        source: doc.source,
        minister: 'platform',
        category: 'runbook',
        metadata: doc.metadata,
        jobId: 'job-1',
      });
    });
  });

  it('omits the optional fields a document does not have', () => {
    const [chunk] = chunkDocument({ id: 'bare', text: 'Just text.' }, { version: 5 });
    expect(Object.keys(chunk!).sort()).toEqual(['chunkId', 'contentHash', 'count', 'docId', 'headingPath', 'kind', 'seq', 'text', 'tokenCount', 'version']);
    expect(chunk).toMatchObject({ seq: 0, count: 1, text: 'Just text.', headingPath: [], version: 5 });
  });
});

describe('chunk ids and content hashes', () => {
  it('are deterministic: the same document gives the same chunks and ids', () => {
    const again = chunkDocument(structuredClone(doc), ctx);
    expect(again).toEqual(chunkDocument(doc, ctx));
    expect(new Set(again.map((c) => c.chunkId)).size).toBe(again.length);
    expect(again[0]!.chunkId).toMatch(/^[0-9a-f]{32}$/);
    expect(contentHash(doc)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('do not depend on the version, the job or the order of metadata keys', () => {
    const reordered: RawDocument = { ...doc, jobId: 'job-2', metadata: { tags: ['kafka', 'ops'], owner: 'sre' } };
    expect(contentHash(reordered)).toBe(contentHash(doc));
    const ids = (d: RawDocument, version: number) => chunkDocument(d, { version }).map((c) => c.chunkId);
    expect(ids(reordered, 2)).toEqual(ids(doc, 1));
  });

  it('change when the content, the document id or the chunker settings change', () => {
    const hash = contentHash(doc);
    for (const changed of [{ text: `${guide} ` }, { title: 'Other' }, { source: 'x' }, { minister: 'finance' }, { category: 'c' }, { metadata: { owner: 'dev', tags: ['kafka', 'ops'] } }]) {
      expect(contentHash({ ...doc, ...changed })).not.toBe(hash);
    }
    expect(contentHash({ ...doc, metadata: { owner: 'sre', tags: ['ops', 'kafka'] } })).not.toBe(hash); // arrays keep their order
    const base = chunkId('d', hash, 0, DEFAULT_CHUNKER_OPTIONS);
    expect(chunkId('d', hash, 0, { ...DEFAULT_CHUNKER_OPTIONS })).toBe(base);
    expect(chunkId('e', hash, 0, DEFAULT_CHUNKER_OPTIONS)).not.toBe(base);
    expect(chunkId('d', hash, 1, DEFAULT_CHUNKER_OPTIONS)).not.toBe(base);
    expect(chunkId('d', contentHash({ ...doc, title: 'x' }), 0, DEFAULT_CHUNKER_OPTIONS)).not.toBe(base);
    expect(chunkId('d', hash, 0, { maxTokens: 256, overlapTokens: 0 })).not.toBe(base);
    expect(chunkId('d', hash, 0, { maxTokens: 512, overlapTokens: 32 })).not.toBe(base);
  });

  it('hash an own "__proto__" metadata key as data', () => {
    const withProto = JSON.parse('{"id":"p","text":"t","metadata":{"__proto__":{"x":1}}}') as RawDocument;
    expect(contentHash(withProto)).not.toBe(contentHash({ id: 'p', text: 't', metadata: {} }));
  });

  it('reject a negative or fractional seq as a programming error', () => {
    expect(() => chunkId('d', 'h', -1, DEFAULT_CHUNKER_OPTIONS)).toThrow(RangeError);
    expect(() => chunkId('d', 'h', 0.5, DEFAULT_CHUNKER_OPTIONS)).toThrow(RangeError);
  });
});

describe('delete records', () => {
  it('carry the document id, the version and the job when known', () => {
    expect(deleteRecord('doc-1', 7)).toEqual({ kind: 'delete', docId: 'doc-1', version: 7 });
    expect(deleteRecord('doc-1', 7, 'job-9')).toEqual({ kind: 'delete', docId: 'doc-1', version: 7, jobId: 'job-9' });
  });
});

