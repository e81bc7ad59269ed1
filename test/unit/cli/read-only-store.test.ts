/**
 * Commands that work on the embedded store `run` made refuse a data directory that holds none
 * (a typo, or the default `.era-data` where nothing was ingested) with exit 2, naming the
 * directory and saying to run `era-ingest run` first, and create nothing; only `run` creates it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.ts';

const ENV = { DATABASE_URL: '', EMBEDDER: 'hash', LOG_LEVEL: 'warn' };
const root = mkdtempSync(join(tmpdir(), 'era-read-only-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The commands, reading the store in `dir` (undefined: the default data directory). */
const COMMANDS: Record<string, (dir?: string) => string[]> = {
  search: (dir) => ['search', 'budget', ...(dir ? ['--data-dir', dir] : [])],
  status: (dir) => ['status', ...(dir ? ['--data-dir', dir] : [])],
  'dlq list': (dir) => ['dlq', 'list', '--data-dir', dir ?? '.era-data'],
  'ministers export': (dir) => ['ministers', 'export', join(root, 'export'), ...(dir ? ['--data-dir', dir] : [])],
  'reembed --list': (dir) => ['reembed', '--list', ...(dir ? ['--data-dir', dir] : [])],
  'delete --data-dir': (dir) => ['delete', 'finance/budget.md', '--data-dir', dir ?? '.era-data'],
};

const refusal = (dir: string, why: string): RegExp =>
  new RegExp(`^era-ingest: the data directory ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ${why}: it holds no store of \`era-ingest run\`\\. Ingest into it first \\(era-ingest run <files> --data-dir `);

describe.concurrent('a read-only command on a data directory that holds no store', () => {
  for (const [name, args] of Object.entries(COMMANDS)) {
    it(`${name}: a directory that does not exist is refused (exit 2) and not created`, { timeout: 60_000 }, async () => {
      const typo = join(root, `${name.replace(/\W+/g, '-')}-typo`);
      const r = await runCli(args(typo), ENV);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(refusal(typo, 'does not exist'));
      expect(existsSync(typo)).toBe(false);
    });
  }

  it('an empty directory or one of other files is refused and left as it was', { timeout: 60_000 }, async () => {
    const empty = join(root, 'empty');
    const other = join(root, 'other');
    mkdirSync(empty);
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'not a database');
    const [a, b] = await Promise.all([runCli(COMMANDS.search!(empty), ENV), runCli(COMMANDS['ministers export']!(other), ENV)]);
    expect(a.code, a.output).toBe(2);
    expect(a.output).toMatch(refusal(empty, 'is empty'));
    expect(b.code, b.output).toBe(2);
    expect(b.output).toMatch(refusal(other, 'holds no PGlite database'));
    expect(readdirSync(empty)).toEqual([]);
    expect(readdirSync(other)).toEqual(['notes.txt']);
  });

  it('without --data-dir the default .era-data of the working directory is refused when nothing was ingested there', { timeout: 60_000 }, async () => {
    const cwd = join(root, 'fresh');
    mkdirSync(cwd);
    const r = await runCli(COMMANDS.search!(), ENV, 60_000, { cwd });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(refusal(join(cwd, '.era-data'), 'does not exist'));
    expect(readdirSync(cwd)).toEqual([]);
  });
});
