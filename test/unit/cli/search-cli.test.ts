/**
 * `era-ingest search`: usage errors (exit 2, naming the option) before any store is opened or
 * created, and the human form of hits.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatHits } from '../../../src/cli/commands/search.ts';
import type { SearchHit } from '../../../src/storage/search.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function cli(args: string[]): Promise<{ code: number; output: string }> {
  const env = { ...process.env, EMBEDDER: 'hash', DATABASE_URL: '' };
  return new Promise((resolve) => {
    execFile(process.execPath, [`${root}bin/era-ingest.js`, 'search', ...args], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe.concurrent('era-ingest search usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'era-search-cli-'));
  const dataDir = join(dir, 'store');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [args, message] of [
    [['--metadata', '{bad'], /--metadata is not JSON .*: give a JSON object, e\.g\. \{"type":"faq"\}/],
    [['--metadata', '["faq"]'], /--metadata must be a JSON object, e\.g\. \{"type":"faq"\}; got an array/],
    [['--metadata', '42'], /--metadata must be a JSON object.*got number/],
    [['--mode', 'fuzzy'], /--mode "fuzzy" is not a search mode: use vector, text, hybrid/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit 2 and creates no store`, { timeout: 60_000 }, async () => {
      const r = await cli(['budget', ...args, '--data-dir', dataDir]);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(message);
      expect(existsSync(dataDir)).toBe(false);
    });
  }
});

describe('search hits for people', () => {
  const hit: SearchHit = {
    chunkId: 'abcdef0123456789', docId: 'faq-1', title: 'Filing your tax return', source: 'taxpayer-help', metadata: { type: 'faq' },
    text: 'Who needs to file a self assessment tax return? …', ministerId: 'finance', category: 'taxation', headingPath: ['FAQ', 'Deadlines'],
    score: 0.0325, passage: 'file a self assessment «tax» «return»', similarity: 0.4, textScore: 0.3, ranks: { vector: 2, text: 1 },
  };

  it('show the score, where each search ranked it, the passage, section, source, metadata and ids', () => {
    expect(formatHits([hit])).toBe([
      '1. [0.033] Filing your tax return (finance/taxation; vector #2, text #1)',
      '   file a self assessment «tax» «return»',
      '   section: FAQ › Deadlines',
      '   source: taxpayer-help',
      '   metadata: {"type":"faq"}',
      '   faq-1#abcdef012345',
      '',
    ].join('\n'));
  });

  it('leave out what a hit does not have', () => {
    const bare = formatHits([{ ...hit, title: null, category: null, source: null, metadata: null, headingPath: [], ranks: { vector: 1 }, passage: 'x '.repeat(200) }]);
    expect(bare).toMatch(/^1\. \[0\.033\] faq-1 \(finance; vector #1\)\n   (x ){120}…\n   faq-1#abcdef012345\n$/);
  });
});
