/**
 * `era-ingest status` on the embedded store: `run` records its job as the stage services do
 * (the same job tracking, in the same store), and `status` reads it from the same default data
 * directory (`.era-data` of the working directory) or --data-dir. PGlite and the hash embedder:
 * no services.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.ts';

const ENV = { DATABASE_URL: '', EMBEDDER: '', LOG_LEVEL: 'warn' };
/** The pretty-printed JSON a `--json` command wrote. */
const json = <T>(output: string): T => JSON.parse(output.slice(output.search(/^[{[]$/m))) as T;

interface Job { jobId: string; docCount: number; done: number; phases: Record<string, number>; failures: Array<{ docId: string; stage: string; code: string }> }

describe('status of a job of era-ingest run', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'era-status-'));
  let jobId: string;
  beforeAll(async () => {
    mkdirSync(join(cwd, 'docs'));
    writeFileSync(join(cwd, 'docs', 'budget.md'), '# Budget\n\nThe state budget sets taxes and spending for the year.\n');
    writeFileSync(join(cwd, 'docs', 'hospitals.md'), '# Hospitals\n\nPatients wait for hospital treatment on waiting lists.\n');
    const run = await runCli(['run', 'docs', '--embedder', 'hash', '--json'], ENV, 120_000, { cwd });
    expect(run.code, run.output).toBe(0);
    jobId = json<{ jobId: string; documents: number }>(run.output).jobId;
    expect(existsSync(join(cwd, '.era-data', 'PG_VERSION'))).toBe(true); // run created the default data directory
  }, 180_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('search on that store ends by naming the command that opens the web console on it (what npm start ends with)', { timeout: 120_000 }, async () => {
    const r = await runCli(['search', 'hospital waiting', '-k', '1'], ENV, 120_000, { cwd });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^1\. \[/m);
    expect(r.output).toContain('Browse this store in the web console: npx era-ingest serve, then open http://127.0.0.1:8080/');
    const other = await runCli(['search', 'hospital waiting', '-k', '1', '--data-dir', '.era-data'], { ...ENV, API_PORT: '9099' }, 120_000, { cwd });
    expect(other.output).toContain('npx era-ingest serve, then open http://127.0.0.1:9099/');
  });

  it('shows the job complete with its 2 documents, from the default data directory', { timeout: 120_000 }, async () => {
    const r = await runCli(['status', jobId, '--json'], ENV, 120_000, { cwd });
    expect(r.code, r.output).toBe(0);
    const job = json<Job>(r.output);
    expect(job).toMatchObject({ jobId, docCount: 2, done: 1, failures: [] });
    expect(job.phases).toMatchObject({ queued: 0, complete: 2, failed: 0 });
  });

  it('lists the job among the recent ones, and reads --data-dir', { timeout: 120_000 }, async () => {
    const r = await runCli(['status', '--data-dir', join(cwd, '.era-data')], ENV, 120_000);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(new RegExp(`^${jobId}\\s+2 docs\\s+100\\.0% done\\s+0 failed `, 'm'));
  });

  it('records a file that gave no document as a failed document of the job', { timeout: 180_000 }, async () => {
    writeFileSync(join(cwd, 'docs', 'broken.json'), '{ not json');
    const run = await runCli(['run', 'docs', '--embedder', 'hash', '--job', 'with-a-broken-file', '--json'], ENV, 120_000, { cwd });
    expect(run.code, run.output).toBe(1);
    const r = await runCli(['status', 'with-a-broken-file', '--json'], ENV, 120_000, { cwd });
    const job = json<Job>(r.output);
    expect(job).toMatchObject({ docCount: 3, done: 1, phases: { complete: 2, failed: 1 } });
    expect(job.failures).toEqual([expect.objectContaining({ docId: 'docs/broken.json', stage: 'read', code: 'PARSE_FAILED' })]);
  });
});
