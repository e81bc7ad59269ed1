/**
 * `era-ingest eval` refuses what a person can get wrong with exit code 2, before it ingests
 * anything: no model is needed (OLLAMA_HOST points at a closed port to prove it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the CLI; resolves with its exit code and everything it wrote. */
function cli(args: string[]): Promise<{ code: number; output: string }> {
  const env = { ...process.env, EMBEDDER: 'ollama', OLLAMA_HOST: 'http://127.0.0.1:9', EMBED_TIMEOUT_MS: '1000' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `${root}src/cli/main.ts`, 'eval', ...args], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe.concurrent('era-ingest eval usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'era-eval-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names an unknown embedder', { timeout: 60_000 }, async () => {
    const r = await cli(['--embedder', 'hash,word2vec']);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/EMBEDDER="word2vec" is invalid/);
  });

  it('refuses an empty embedder list', { timeout: 60_000 }, async () => {
    const r = await cli(['--embedder', ' , ']);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/--embedder is empty/);
  });

  it('names the set file and the bad entry', { timeout: 60_000 }, async () => {
    const set = join(dir, 'bad.json');
    writeFileSync(set, JSON.stringify({ documents: { 'a.md': { minister: 'finance' } }, questions: [{ id: 'q1', question: 'Why?', answers: ['b.md'] }] }));
    const r = await cli(['--set', set]);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toContain(`eval set ${set}: questions[0] (q1).answers[0]: "b.md" is not a key of "documents"`);
  });

  it('names a set file it cannot read, and a corpus that does not exist', { timeout: 60_000 }, async () => {
    const [noSet, noCorpus] = await Promise.all([cli(['--set', join(dir, 'missing.json')]), cli(['--corpus', join(dir, 'no-such-folder')])]);
    expect(noSet.code, noSet.output).toBe(2);
    expect(noSet.output).toMatch(/eval set .*missing\.json cannot be read/);
    expect(noCorpus.code, noCorpus.output).toBe(2);
    expect(noCorpus.output).toMatch(/--corpus .*no-such-folder: no such folder/);
  });

  it('answers --help with 0', { timeout: 60_000 }, async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/recall@3/);
  });
});
