/**
 * The reader `run` and `publish` share, on a real folder: every entry ingested or reported
 * (skipped or failed, with a code), ids relative to the root named whatever the working
 * directory, `source` = the file's URL, and limits checked before a file is read.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocuments, type FileItem, type ReadOptions } from '../../../src/documents/files.ts';
import type { Root } from '../../../src/documents/ids.ts';
import { makeDocx, makeHtml, makePdf } from '../../helpers/documents.ts';

async function read(paths: string[], options: ReadOptions = {}): Promise<FileItem[]> {
  const items: FileItem[] = [];
  for await (const item of readDocuments(paths, options)) items.push(item);
  return items;
}
const byOrigin = (items: FileItem[]): Record<string, string> => Object.fromEntries(items.map((i) => [i.origin, i.kind === 'document' ? `document ${i.doc.id}` : `${i.kind} ${i.code}`]));

describe('reading a folder of mixed files', () => {
  let base: string;
  let kb: string;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'era-read-'));
    kb = join(base, 'kb');
    mkdirSync(join(kb, 'finance'), { recursive: true });
    mkdirSync(join(kb, '.git'));
    mkdirSync(join(kb, 'node_modules'));
    writeFileSync(join(kb, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(kb, '.DS_Store'), Buffer.from([0, 0, 0, 1]));
    writeFileSync(join(kb, 'README.md'), '# Knowledge base\n\nWhat the ministries publish.\n');
    writeFileSync(join(kb, 'finance', 'budget.pdf'), makePdf([['Budget 2026', 'The deficit narrowed.']], { title: 'Budget 2026' }));
    writeFileSync(join(kb, 'finance', 'broken.pdf'), makePdf([['x']]).subarray(0, 100));
    writeFileSync(join(kb, 'finance', 'plan.docx'), await makeDocx(['# Spending plan', 'Departments get three-year budgets.']));
    writeFileSync(join(kb, 'finance', 'notes.docx'), 'not a zip');
    writeFileSync(join(kb, 'finance', 'rates.html'), makeHtml('Interest rates', '<h1>Interest rates</h1><p>The bank held rates at 4 per cent.</p>'));
    writeFileSync(join(kb, 'finance', 'chart.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(kb, 'finance', 'binary.txt'), Buffer.from([0x61, 0x00, 0x62]));
    writeFileSync(join(kb, 'finance', 'docs.jsonl'), `${JSON.stringify({ id: 'press-1', text: 'Press release one.' })}\n{"id": \n${JSON.stringify({ id: 'press-2', text: 'Two.', source: 'https://example.org/press-2' })}\n`);
    symlinkSync(kb, join(kb, 'finance', 'loop'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('ingests or reports every entry, file by file, with a code', async () => {
    expect(byOrigin(await read(['kb'], { cwd: base }))).toEqual({
      'kb/.DS_Store': 'skipped HIDDEN',
      'kb/.git/': 'skipped HIDDEN',
      'kb/README.md': 'document README.md',
      'kb/finance/binary.txt': 'failure BINARY',
      'kb/finance/broken.pdf': 'failure PARSE_FAILED',
      'kb/finance/budget.pdf': 'document finance/budget.pdf',
      'kb/finance/chart.png': 'skipped UNSUPPORTED_TYPE',
      'kb/finance/docs.jsonl:1': 'document press-1',
      'kb/finance/docs.jsonl:2': 'failure PARSE_FAILED',
      'kb/finance/docs.jsonl:3': 'document press-2',
      'kb/finance/loop/': 'skipped LINK_LOOP',
      'kb/finance/notes.docx': 'failure PARSE_FAILED',
      'kb/finance/plan.docx': 'document finance/plan.docx',
      'kb/finance/rates.html': 'document finance/rates.html',
      'kb/node_modules/': 'skipped HIDDEN',
    });
  });

  it('gives the same ids and sources from any working directory; origins are relative to it', async () => {
    const docs = (items: FileItem[]) => items.flatMap((i) => (i.kind === 'document' ? [[i.doc.id, i.doc.source]] : []));
    const fromBase = await read(['kb'], { cwd: base });
    const fromInside = await read(['.'], { cwd: kb });
    const fromElsewhere = await read([kb], { cwd: tmpdir() });
    expect(docs(fromInside)).toEqual(docs(fromBase));
    expect(docs(fromElsewhere)).toEqual(docs(fromBase));
    expect(docs(fromBase)).toContainEqual(['finance/budget.pdf', pathToFileURL(join(kb, 'finance', 'budget.pdf')).href]);
    expect(fromInside.map((i) => i.origin)).toContain('finance/budget.pdf');
  });

  it('names a file given on its own by its base name, and puts --id-prefix before file ids only', async () => {
    const items = await read(['kb/finance/budget.pdf', 'kb/finance/docs.jsonl'], { cwd: base, idPrefix: 'team-a/' });
    expect(items.flatMap((i) => (i.kind === 'document' ? [i.doc.id] : []))).toEqual(['team-a/budget.pdf', 'press-1', 'press-2']);
  });

  it('gives a JSON document the file\'s URL as source unless it names its own', async () => {
    const items = await read(['kb/finance/docs.jsonl'], { cwd: base });
    const sources = items.flatMap((i) => (i.kind === 'document' ? [i.doc.source] : []));
    expect(sources).toEqual([pathToFileURL(join(kb, 'finance', 'docs.jsonl')).href, 'https://example.org/press-2']);
  });

  it('keeps a PDF\'s pages, title and page count in the document', async () => {
    const [item] = await read(['kb/finance/budget.pdf'], { cwd: base });
    expect(item).toMatchObject({ kind: 'document', doc: { id: 'budget.pdf', title: 'Budget 2026', text: '# Page 1\n\nBudget 2026\nThe deficit narrowed.', metadata: { format: 'pdf', pages: 1 } } });
  });

  it('reports an unsupported file named on its own as a failure, and a missing path as unreadable', async () => {
    expect(byOrigin(await read(['kb/finance/chart.png', 'kb/nothing-here'], { cwd: base }))).toEqual({
      'kb/finance/chart.png': 'failure UNSUPPORTED_TYPE',
      'kb/nothing-here': 'failure UNREADABLE',
    });
  });

  it('reports the roots it opens: folders (empty ones too) and files of a type it reads', async () => {
    mkdirSync(join(base, 'empty'), { recursive: true });
    const roots: Root[] = [];
    await read(['kb', 'empty', 'kb/finance/budget.pdf', 'kb/finance/chart.png', 'missing'], { cwd: base, onRoot: (r) => roots.push(r) });
    expect(roots.map((r) => [r.kind, r.url])).toEqual([
      ['folder', pathToFileURL(kb).href], ['folder', pathToFileURL(join(base, 'empty')).href], ['file', pathToFileURL(join(kb, 'finance', 'budget.pdf')).href],
    ]);
  });

  it('fails files over the limits from their size, before reading them', async () => {
    const limits = { maxBytes: 2048, maxIdBytes: 1024, maxMetadataDepth: 32 };
    writeFileSync(join(base, 'big.md'), `# Big\n\n${'word '.repeat(1000)}`);
    const pdf = join(base, 'big.pdf');
    writeFileSync(pdf, makePdf([['x'.repeat(80)], ['y'.repeat(80)], ['z'.repeat(80)]]));
    const items = await read(['big.md', 'big.pdf'], { cwd: base, limits, maxFileBytes: 500 });
    expect(items).toEqual([
      expect.objectContaining({ kind: 'failure', code: 'TOO_LARGE', reason: expect.stringMatching(/^file is 5007 bytes, over the limit of 2048 bytes \(MAX_DOCUMENT_BYTES\)$/) }),
      expect.objectContaining({ kind: 'failure', code: 'TOO_LARGE', reason: expect.stringMatching(/over the limit of 500 bytes \(MAX_FILE_BYTES\)$/) }),
    ]);
    // Under MAX_FILE_BYTES, but its text over MAX_DOCUMENT_BYTES.
    writeFileSync(pdf, makePdf(Array.from({ length: 30 }, () => ['A line of text that is long enough to add up.'.repeat(2)])));
    const [converted] = await read(['big.pdf'], { cwd: base, limits, maxFileBytes: 1 << 20 });
    expect(converted).toMatchObject({ kind: 'failure', code: 'TOO_LARGE', reason: expect.stringMatching(/^the document is \d+ bytes as JSON, over the limit of 2048 bytes \(MAX_DOCUMENT_BYTES\)$/) });
  });
});
