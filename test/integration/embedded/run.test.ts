/**
 * Embedded mode as a newcomer meets it (`npm start` = `era-ingest run samples` + a search):
 * the bundled sample corpus into PGlite in a fresh data directory, a re-run that embeds
 * nothing, a search hit, bad files reported, and a re-embedding with another model in-process.
 * Folders of mixed formats, ids and --sync: ./folders.test.ts.
 * No services: PGlite with pgvector in this process' children, the built-in hash embedder.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocuments } from '../../../src/documents/files.ts';
import { chunkDocument } from '../../../src/stages/chunk/transform.ts';
import { createPgliteClient, type PgliteClient } from '../../../src/storage/pglite-client.ts';
import { runCli } from '../../helpers/processes.ts';

const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));
/** The pretty-printed JSON a `--json` command wrote. */
const json = <T>(output: string): T => JSON.parse(output.slice(output.search(/^(\{$|\[$|\[\])/m))) as T;
const ENV = { DATABASE_URL: '', EMBEDDER: 'hash', LOG_LEVEL: 'warn' };

const cli = (args: string[]) => runCli(args, ENV, 120_000);

interface RunSummary { documents: number; chunks: number; embedded: number; reused: number; ministers: Record<string, number>; failures: Array<{ origin: string; reason: string }> }

describe('embedded mode on the sample corpus (PGlite, no services)', () => {
  let dataDir: string;
  let expectedDocs: number;
  let expectedChunks: number;
  const snapshot = async (): Promise<string> => {
    const db: PgliteClient = await createPgliteClient({ dataDir });
    try {
      const { rows } = await db.query<{ chunk_id: string; embedding: string; minister_id: string }>('SELECT chunk_id, embedding::text AS embedding, minister_id FROM chunks ORDER BY chunk_id');
      return JSON.stringify(rows);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'era-embedded-'));
    // What the chunker makes of the samples with the default settings (CHUNK_TOKENS 256, overlap 32).
    expectedDocs = 0;
    expectedChunks = 0;
    for await (const item of readDocuments([SAMPLES])) {
      if (item.kind !== 'document') throw new Error(`a sample is invalid: ${item.origin}: ${item.reason}`);
      expectedDocs += 1;
      expectedChunks += chunkDocument(item.doc, { version: 1 }, { maxTokens: 256, overlapTokens: 32 }).length;
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('ingests every sample document, routes every chunk, and a re-run embeds nothing and changes no row', async () => {
    const first = await cli(['run', SAMPLES, '--data-dir', dataDir, '--json']);
    expect(first.code, first.output).toBe(0);
    const summary = json<RunSummary>(first.output);
    expect(summary).toMatchObject({ documents: expectedDocs, chunks: expectedChunks, embedded: expectedChunks, reused: 0, failures: [] });
    expect(Object.values(summary.ministers).reduce((a, b) => a + b, 0)).toBe(expectedChunks);
    expect(Object.keys(summary.ministers).length).toBeGreaterThanOrEqual(5);
    const before = await snapshot();
    expect(JSON.parse(before)).toHaveLength(expectedChunks);

    const again = await cli(['run', SAMPLES, '--data-dir', dataDir, '--json']);
    expect(again.code, again.output).toBe(0);
    expect(json<RunSummary>(again.output)).toMatchObject({ documents: expectedDocs, chunks: expectedChunks, embedded: 0, reused: expectedChunks });
    expect(await snapshot()).toBe(before);
  }, 120_000);

  it('finds a sample by a sentence of it', async () => {
    const r = await cli(['search', 'how long do patients wait for hospital treatment', '--data-dir', dataDir, '-k', '3', '--json']);
    expect(r.code, r.output).toBe(0);
    const hits = json<Array<{ docId: string; score: number }>>(r.output);
    expect(hits).toHaveLength(3);
    expect(hits[0]!.docId).toMatch(/hospital-waiting-lists/);
    expect(hits[0]!.score).toBeGreaterThan(hits[2]!.score);
  }, 60_000);

  it('reports bad files without aborting the run: the good ones are stored, and the exit code is 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'era-embedded-bad-'));
    copyFileSync(join(SAMPLES, 'health', 'hospital-waiting-lists-recovery-plan.md'), join(dir, 'good.md'));
    writeFileSync(join(dir, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0xff, 0xfe]));
    writeFileSync(join(dir, 'broken.json'), '{"id": "x", "text": ');
    writeFileSync(join(dir, 'lines.jsonl'), `${JSON.stringify({ id: 'ok-line', text: 'Rivers are cleaner.' })}\nnot json\n`);
    const r = await cli(['run', dir, '--data-dir', mkdtempSync(join(tmpdir(), 'era-embedded-bad-data-')), '--json']);
    const summary = json<RunSummary>(r.output);
    expect(summary.documents).toBe(2);
    expect(summary.failures.map((f) => f.origin).sort()).toEqual([expect.stringContaining('binary.txt'), expect.stringContaining('broken.json'), expect.stringContaining('lines.jsonl:2')].sort());
    expect(r.code).toBe(1);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('re-embeds the store with another model in-process; search answers from either model', async () => {
    const r = await cli(['reembed', '--model', 'hash-v1-96', '--dim', '96', '--data-dir', dataDir, '--json']);
    expect(r.code, r.output).toBe(0);
    expect(json<{ state: string; embedded: number; consumerGroup: string; index: string | null }>(r.output)).toMatchObject({ state: 'ready', embedded: expectedChunks, consumerGroup: 'in-process' });
    const listed = json<Array<{ model: string; dimension: number; vectors: number; missing: number }>>((await cli(['reembed', '--list', '--data-dir', dataDir, '--json'])).output);
    expect(listed).toEqual([expect.objectContaining({ model: 'hash-v1-96', dimension: 96, vectors: expectedChunks, missing: 0 })]);
    const query = 'how long do patients wait for hospital treatment';
    const wide = json<Array<{ docId: string }>>((await cli(['search', query, '--model', 'hash-v1-96', '--data-dir', dataDir, '--json'])).output);
    expect(wide[0]!.docId).toMatch(/hospital-waiting-lists/);
    // --follow needs a pipeline (PostgreSQL): a usage error here.
    const follow = await cli(['reembed', '--model', 'hash-v1-96', '--follow', '--data-dir', dataDir]);
    expect(follow.code).toBe(2);
    expect(follow.output).toMatch(/--follow keeps a pipeline's vector set complete/);
  }, 120_000);
});

