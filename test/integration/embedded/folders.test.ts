/**
 * Real folders through `era-ingest run` (issue #17), as a user meets them: PDF, HTML, DOCX and
 * Markdown side by side with files that are not for us and files that are broken, every one
 * reported with the exit code the README states; ids that do not depend on the working
 * directory; `--sync` after a delete and a rename; `delete`. PGlite, hash embedder, no services.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteClient } from '../../../src/storage/pglite-client.ts';
import { makeDocx, makeHtml, makePdf } from '../../helpers/documents.ts';
import { startProcess } from '../../helpers/processes.ts';

const ENV = { DATABASE_URL: '', EMBEDDER: 'hash', EMBED_DIM: '64', LOG_LEVEL: 'warn' };
/** The pretty-printed JSON a `--json` command wrote. */
const json = <T>(output: string): T => JSON.parse(output.slice(output.search(/^\{$/m))) as T;

interface Report { origin: string; code: string; reason: string }
interface Summary { documents: number; chunks: number; embedded: number; reused: number; skipped: Report[]; failures: Report[]; deleted: Array<{ id: string; source?: string }> }

async function cli(args: string[], cwd?: string): Promise<{ code: number | string; output: string }> {
  const p = startProcess('src/cli/main.ts', args, ENV, cwd ? { cwd } : {});
  const code = await p.exited;
  return { code, output: p.output() };
}

async function rows<T>(dataDir: string, query: string): Promise<T[]> {
  const db = await createPgliteClient({ dataDir });
  try {
    return (await db.query<T>(query)).rows;
  } finally {
    await db.close();
  }
}
const storedIds = async (dataDir: string): Promise<string[]> => (await rows<{ doc_id: string }>(dataDir, 'SELECT doc_id FROM documents ORDER BY doc_id')).map((r) => r.doc_id);

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'era-folders-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Lines enough to make a page a section of its own (the chunker merges sections under a quarter of a chunk). */
const filler = (topic: string): string[] => Array.from({ length: 6 }, (_, i) => `${topic} line ${i + 1} of the page, in words enough to fill it.`);

/** A knowledge-base folder: one good file of each format, plus `extra` files. */
async function knowledgeBase(name: string, extra: Record<string, string | Buffer> = {}): Promise<string> {
  const kb = join(base, name);
  mkdirSync(join(kb, 'finance'), { recursive: true });
  mkdirSync(join(kb, 'health'), { recursive: true });
  writeFileSync(join(kb, 'README.md'), '# Ministry papers\n\nBriefings and plans, one folder per minister.\n');
  writeFileSync(join(kb, 'finance', 'budget-2026.pdf'), makePdf([['Budget 2026', 'The deficit narrowed to 3.1 per cent of GDP.', ...filler('Revenue')], ['Capital spending', 'Capital budgets rise by 2 per cent a year in real terms.', ...filler('Investment')]], { title: 'Budget 2026' }));
  writeFileSync(join(kb, 'health', 'waiting-lists.html'), makeHtml('Hospital waiting lists', `<h1>Hospital waiting lists</h1><p>Patients wait 14 weeks on average for planned hospital treatment.</p><p>${filler('Waiting').join(' ')}</p><h2>Recovery plan</h2><p>Forty new surgical hubs open by 2027.</p><p>${filler('Recovery').join(' ')}</p>`));
  writeFileSync(join(kb, 'health', 'gp-access.docx'), await makeDocx(['# GP access', 'Most patients see a GP within two weeks.', ...filler('Access'), '## Online booking', 'Every practice offers online appointment booking.', ...filler('Booking')]));
  for (const [path, content] of Object.entries(extra)) writeFileSync(join(kb, path), content);
  return kb;
}

describe('a folder of mixed formats', () => {
  it('ingests PDF, HTML, DOCX and Markdown, reports every other file with its reason, and exits 1 for the broken ones', async () => {
    const kb = await knowledgeBase('mixed', {
      'finance/scan.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      'finance/truncated.pdf': makePdf([['Half a page']]).subarray(0, 150),
      'health/notes.docx': 'this .docx is not a zip archive',
      '.DS_Store': Buffer.from([0, 0, 0, 1]),
    });
    const dataDir = join(base, 'mixed-data');
    const human = await cli(['run', 'mixed', '--data-dir', dataDir, '--no-progress'], base);
    expect(human.code, human.output).toBe(1);
    expect(human.output).toMatch(/^ingested 4 documents, \d+ chunks/m);
    expect(human.output).toContain('  2 skipped (not for era-ingest; an error only with --strict):\n    mixed/.DS_Store: hidden entries are not read\n    mixed/finance/scan.png: unsupported file type ".png"');
    expect(human.output).toContain('  2 failed:\n    mixed/finance/truncated.pdf: not a readable PDF: Invalid PDF structure.\n    mixed/health/notes.docx: not a DOCX file (not a zip archive)');

    const again = await cli(['run', kb, '--data-dir', dataDir, '--json']);
    expect(again.code, again.output).toBe(1);
    const summary = json<Summary>(again.output);
    expect(summary).toMatchObject({ documents: 4, embedded: 0 });
    expect(summary.skipped.map((s) => [s.origin.split('/').slice(-2).join('/'), s.code])).toEqual([['mixed/.DS_Store', 'HIDDEN'], ['finance/scan.png', 'UNSUPPORTED_TYPE']]);
    expect(summary.failures.map((s) => [s.origin.split('/').slice(-2).join('/'), s.code])).toEqual([['finance/truncated.pdf', 'PARSE_FAILED'], ['health/notes.docx', 'PARSE_FAILED']]);

    // What the store holds: pages as heading paths, Word and HTML headings, no page noise.
    const chunks = await rows<{ doc_id: string; heading_path: string[]; text: string }>(dataDir, 'SELECT doc_id, heading_path, text FROM chunks ORDER BY doc_id, seq');
    const paths = (id: string): string[][] => chunks.filter((c) => c.doc_id === id).map((c) => c.heading_path);
    expect(paths('finance/budget-2026.pdf')).toEqual([['Page 1'], ['Page 2']]);
    expect(paths('health/gp-access.docx')).toEqual([['GP access'], ['GP access', 'Online booking']]);
    expect(paths('health/waiting-lists.html')).toEqual([['Hospital waiting lists'], ['Hospital waiting lists', 'Recovery plan']]);
    expect(chunks.map((c) => c.text).join('\n')).not.toMatch(/NOISE/);
    const [pdf] = await rows<{ title: string; metadata: unknown; source: string }>(dataDir, "SELECT title, metadata, source FROM documents WHERE doc_id = 'finance/budget-2026.pdf'");
    expect(pdf).toEqual({ title: 'Budget 2026', metadata: { format: 'pdf', pages: 2 }, source: pathToFileURL(join(kb, 'finance', 'budget-2026.pdf')).href });
  }, 180_000);

  it('exits 0 when files were only skipped, and 1 with --strict', async () => {
    const kb = await knowledgeBase('skips', { 'finance/scan.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
    const dataDir = join(base, 'skips-data');
    const relaxed = await cli(['run', kb, '--data-dir', dataDir, '--json']);
    expect(relaxed.code, relaxed.output).toBe(0);
    expect(json<Summary>(relaxed.output)).toMatchObject({ documents: 4, failures: [], skipped: [expect.objectContaining({ code: 'UNSUPPORTED_TYPE' })] });
    const strict = await cli(['run', kb, '--data-dir', dataDir, '--strict', '--json']);
    expect(strict.code, strict.output).toBe(1);
    expect(json<Summary>(strict.output)).toMatchObject({ documents: 4, embedded: 0 });
  }, 120_000);
});

describe('document ids', () => {
  it('are the same whatever the working directory: one document per file, embedded once', async () => {
    const kb = await knowledgeBase('ids');
    const dataDir = join(base, 'ids-data');
    const first = await cli(['run', 'ids', '--data-dir', dataDir, '--json'], base);
    expect(first.code, first.output).toBe(0);
    const ids = await storedIds(dataDir);
    expect(ids).toEqual(['README.md', 'finance/budget-2026.pdf', 'health/gp-access.docx', 'health/waiting-lists.html']);
    const elsewhere = join(base, 'elsewhere', 'deeper');
    mkdirSync(elsewhere, { recursive: true });
    for (const [cwd, path] of [[kb, '.'], [elsewhere, '../../ids']] as const) {
      const r = await cli(['run', path, '--data-dir', dataDir, '--json'], cwd);
      expect(r.code, r.output).toBe(0);
      expect(json<Summary>(r.output)).toMatchObject({ documents: 4, embedded: 0 });
      expect(await storedIds(dataDir)).toEqual(ids);
    }
    // A file named on its own is its own root: its base name, behind --id-prefix when given.
    const single = await cli(['run', join(kb, 'finance', 'budget-2026.pdf'), '--id-prefix', 'papers/', '--data-dir', dataDir, '--json']);
    expect(single.code, single.output).toBe(0);
    expect(await storedIds(dataDir)).toContain('papers/budget-2026.pdf');
  }, 180_000);
});

describe('--sync', () => {
  it('deletes the documents of files deleted or renamed (a rename moves), keeps those of files that fail, and nothing without --sync', async () => {
    const kb = await knowledgeBase('sync', { 'finance/rates.md': '# Interest rates\n\nThe bank held rates at 4 per cent.\n', 'finance/forecast.md': '# Forecast\n\nGrowth of 1.2 per cent.\n' });
    const dataDir = join(base, 'sync-data');
    // What an older release stored for README.md: an id relative to the working directory.
    const legacy = join(base, 'legacy.jsonl');
    writeFileSync(legacy, `${JSON.stringify({ id: 'sync/README.md', text: '# Ministry papers\n\nAn old copy.', source: pathToFileURL(join(kb, 'README.md')).href })}\n`);
    expect((await cli(['run', kb, legacy, '--data-dir', dataDir, '--json'])).code).toBe(0);
    expect(await storedIds(dataDir)).toContain('sync/README.md');

    unlinkSync(join(kb, 'finance', 'rates.md'));
    renameSync(join(kb, 'health', 'gp-access.docx'), join(kb, 'health', 'gp-appointments.docx'));
    writeFileSync(join(kb, 'finance', 'forecast.md'), Buffer.from([0x66, 0xff, 0xfe])); // now unreadable as text: kept, not deleted

    const control = await cli(['run', kb, '--data-dir', dataDir, '--json']);
    expect(json<Summary>(control.output).deleted).toEqual([]);
    expect(await storedIds(dataDir)).toEqual(expect.arrayContaining(['finance/rates.md', 'health/gp-access.docx', 'health/gp-appointments.docx']));

    const synced = await cli(['run', kb, '--sync', '--data-dir', dataDir, '--json']);
    expect(synced.code, synced.output).toBe(1); // forecast.md failed
    const summary = json<Summary>(synced.output);
    expect(summary.deleted).toEqual([
      { id: 'finance/rates.md', source: pathToFileURL(join(kb, 'finance', 'rates.md')).href },
      { id: 'health/gp-access.docx', source: pathToFileURL(join(kb, 'health', 'gp-access.docx')).href },
      { id: 'sync/README.md', source: pathToFileURL(join(kb, 'README.md')).href },
    ]);
    expect(summary.failures.map((f) => f.code)).toEqual(['BINARY']);
    expect(await storedIds(dataDir)).toEqual(['README.md', 'finance/budget-2026.pdf', 'finance/forecast.md', 'health/gp-appointments.docx', 'health/waiting-lists.html']);
    expect(await rows(dataDir, "SELECT chunk_id FROM chunks WHERE doc_id IN ('finance/rates.md', 'health/gp-access.docx', 'sync/README.md')")).toEqual([]);

    // The human summary names what was deleted; a second sync has nothing left to delete.
    const human = await cli(['run', kb, '--sync', '--data-dir', dataDir, '--no-progress'], base);
    expect(human.output).not.toMatch(/deleted/);
    rmSync(join(kb, 'health'), { recursive: true });
    const gone = await cli(['run', 'sync', '--sync', '--data-dir', dataDir, '--no-progress'], base);
    expect(gone.output).toContain('  deleted 2 documents whose files are gone (--sync):\n    health/gp-appointments.docx (was sync/health/gp-appointments.docx)\n    health/waiting-lists.html (was sync/health/waiting-lists.html)');
  }, 240_000);
});

describe('era-ingest delete (embedded store)', () => {
  it('deletes documents by id and reports ids it does not know (exit 1)', async () => {
    const kb = await knowledgeBase('delete');
    const dataDir = join(base, 'delete-data');
    expect((await cli(['run', kb, '--data-dir', dataDir, '--json'])).code).toBe(0);
    const r = await cli(['delete', 'README.md', 'health/gp-access.docx', '--data-dir', dataDir, '--json']);
    expect(r.code, r.output).toBe(0);
    expect(json<{ deleted: string[]; unknown: string[] }>(r.output)).toMatchObject({ deleted: ['README.md', 'health/gp-access.docx'], unknown: [] });
    expect(await storedIds(dataDir)).toEqual(['finance/budget-2026.pdf', 'health/waiting-lists.html']);
    const unknown = await cli(['delete', 'README.md', '--data-dir', dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/not found \(no current document with this id\): README\.md/);
    // Re-running the folder brings them back: a deletion is not a rule.
    expect(json<Summary>((await cli(['run', kb, '--data-dir', dataDir, '--json'])).output).documents).toBe(4);
    expect(await storedIds(dataDir)).toHaveLength(4);
  }, 180_000);
});
