/**
 * `era-ingest ministers export` against a fresh PostgreSQL database filled by writeBatch: one
 * folder per minister, current versions only, path-safe file names, bounded pages.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryFileName, exportMinisters } from '../../../src/storage/ministers-export.ts';
import { migrate } from '../../../src/storage/migrate.ts';
import { upsertMinisterProfiles } from '../../../src/storage/ministers.ts';
import { createPgClient, type PgClient } from '../../../src/storage/pg-client.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import type { RoutedChunk } from '../../../src/topics/messages.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { startProcess } from '../../helpers/processes.ts';

const DIM = 8;
const UNSAFE = 'Budget & Tax/2024';

/** Every chunk of one document version, built by hand as the minister stage would emit them. */
function doc(docId: string, version: number, content: string, parts: Array<{ minister: string; category?: string }>, written = parts.length): RoutedChunk[] {
  const contentHash = createHash('sha256').update(`${docId}\u0000${content}`).digest('hex');
  return parts.slice(0, written).map((p, seq) => {
    const embedding = new Float32Array(DIM);
    embedding[(seq + docId.length) % DIM] = 1;
    embedding[(seq + 3) % DIM] = embedding[(seq + 3) % DIM]! + 0.5;
    return {
      kind: 'chunk', docId, version, contentHash, title: `${docId} ${content}`, chunkId: `${docId}-${content}-${seq}`,
      seq, count: parts.length, text: `${docId} ${content} part ${seq}`, tokenCount: 4, headingPath: ['Top', `S${seq}`],
      embedding, model: 'test', ministerId: p.minister, category: p.category, routing: { method: 'explicit' },
    } satisfies RoutedChunk;
  });
}

const readJsonl = async (path: string): Promise<Array<Record<string, unknown>>> =>
  (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('ministers export (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: PgClient;
  let out: string;
  let current: RoutedChunk[];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPgClient(database.url, { max: 2 });
    await migrate(db, { dimension: DIM });
    await upsertMinisterProfiles(db, [{ id: 'finance', name: 'Finance', description: 'Money matters' }, { id: 'health', name: 'Health' }]);
    const a = doc('doc-a', 1, 'v1', [{ minister: 'finance', category: 'budget' }, { minister: 'finance', category: 'budget' }, { minister: 'finance', category: UNSAFE }]);
    const b = doc('doc-b', 1, 'v1', [{ minister: 'health' }, { minister: 'health', category: 'uncategorised' }]);
    const cOld = doc('doc-c', 1, 'v1', [{ minister: 'finance', category: 'old' }]);
    const cNew = doc('doc-c', 2, 'v2', [{ minister: 'health', category: 'clinics' }, { minister: 'health', category: 'clinics' }]);
    const dCurrent = doc('doc-d', 1, 'v1', [{ minister: 'health', category: 'clinics' }]);
    const dPending = doc('doc-d', 2, 'v2', [{ minister: 'health', category: 'pending' }, { minister: 'health', category: 'pending' }], 1);
    const bad = doc('doc-e', 1, 'v1', [{ minister: 'Not Safe' }]);
    await writeBatch(db, [...a, ...b, ...cOld, ...dCurrent, ...bad], { now: 1 });
    await writeBatch(db, [...cNew, ...dPending], { now: 2 });
    current = [...a, ...b, ...cNew, ...dCurrent];
    out = await mkdtemp(join(tmpdir(), 'era-export-'));
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('names category files path-safely and documents the rule by example', () => {
    expect(categoryFileName(null)).toBe('uncategorised.jsonl');
    expect(categoryFileName('budget')).toBe('budget.jsonl');
    const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 10);
    expect(categoryFileName(UNSAFE)).toBe(`budget-tax-2024~${hash(UNSAFE)}.jsonl`);
    expect(categoryFileName('uncategorised')).toBe(`uncategorised~${hash('uncategorised')}.jsonl`);
    expect(categoryFileName('../..')).toBe(`category~${hash('../..')}.jsonl`);
    expect(categoryFileName('CON')).toBe(`con~${hash('CON')}.jsonl`);
    expect(categoryFileName('con')).toBe(`con~${hash('con')}.jsonl`);
  });

  it('writes one folder per minister with its profile and the current chunks by category, in small pages', async () => {
    const summary = await exportMinisters(db, out, { pageSize: 2 });
    expect(summary).toEqual({ dir: out, ministers: 2, files: 7, entries: current.length, skippedEntries: 1, skipped: [{ ministerId: 'Not Safe', reason: expect.any(String) }] });
    expect((await readdir(out)).sort()).toEqual(['finance', 'health']);
    expect((await readdir(join(out, 'finance'))).sort()).toEqual(['budget-tax-2024~' + categoryFileName(UNSAFE).split('~')[1], 'budget.jsonl', 'profile.json'].sort());
    expect((await readdir(join(out, 'health'))).sort()).toEqual(['clinics.jsonl', categoryFileName('uncategorised'), 'profile.json', 'uncategorised.jsonl'].sort());

    const finance = JSON.parse(await readFile(join(out, 'finance', 'profile.json'), 'utf8')) as Record<string, unknown>;
    const financeChunks = current.filter((c) => c.ministerId === 'finance');
    const mean = Array.from({ length: DIM }, (_, i) => financeChunks.reduce((s, c) => s + c.embedding[i]!, 0) / financeChunks.length);
    expect(finance).toMatchObject({
      id: 'finance', name: 'Finance', description: 'Money matters', entryCount: 3, categories: { budget: 2, [UNSAFE]: 1 },
      files: { budget: 'budget.jsonl', [UNSAFE]: categoryFileName(UNSAFE) },
    });
    (finance.centroid as number[]).forEach((x, i) => expect(x).toBeCloseTo(mean[i]!, 5));
    const health = JSON.parse(await readFile(join(out, 'health', 'profile.json'), 'utf8')) as Record<string, unknown>;
    expect(health).toMatchObject({ id: 'health', name: 'Health', description: null, entryCount: 5, categories: { clinics: 3, uncategorised: 1 } });

    const budget = await readJsonl(join(out, 'finance', 'budget.jsonl'));
    expect(budget).toEqual(current.filter((c) => c.category === 'budget').map((c) => ({
      chunkId: c.chunkId, docId: c.docId, title: c.title, seq: c.seq, text: c.text, headingPath: c.headingPath,
    })));
    const clinics = await readJsonl(join(out, 'health', 'clinics.jsonl'));
    expect(clinics.map((l) => l.chunkId)).toEqual(['doc-c-v2-0', 'doc-c-v2-1', 'doc-d-v1-0']);
    expect((await readJsonl(join(out, 'health', 'uncategorised.jsonl'))).map((l) => l.chunkId)).toEqual(['doc-b-v1-0']);
    expect((await readJsonl(join(out, 'health', categoryFileName('uncategorised')))).map((l) => l.chunkId)).toEqual(['doc-b-v1-1']);
  });

  it('replaces an earlier export without stale files, and refuses to replace a folder it did not write', async () => {
    await writeFile(join(out, 'finance', 'stale.jsonl'), '{}\n');
    const again = await exportMinisters(db, out);
    expect(again.entries).toBe(current.length);
    expect(await readdir(join(out, 'finance'))).not.toContain('stale.jsonl');
    expect(await readJsonl(join(out, 'finance', 'budget.jsonl'))).toHaveLength(2);

    const other = await mkdtemp(join(tmpdir(), 'era-export-'));
    await mkdir(join(other, 'health'));
    await writeFile(join(other, 'health', 'notes.txt'), 'mine');
    await expect(exportMinisters(db, other)).rejects.toThrow(/health exists and is not an earlier minister export/);
    expect((await readdir(other)).sort()).toEqual(['health']);
    expect(await readFile(join(other, 'health', 'notes.txt'), 'utf8')).toBe('mine');
    await rm(other, { recursive: true, force: true });
  });

  it('runs from the command line with --db and --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'era-export-cli-'));
    try {
      const proc = startProcess('src/cli/main.ts', ['ministers', 'export', dir, '--db', database.url, '--json', '--page-size', '3'], { EMBED_DIM: String(DIM) });
      expect(await proc.exited).toBe(0);
      const summary = JSON.parse(proc.output()) as { ministers: number; entries: number; files: number };
      expect(summary).toMatchObject({ dir, ministers: 2, files: 7, entries: current.length });
      expect((await readJsonl(join(dir, 'health', 'clinics.jsonl'))).length).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
