/**
 * `era-ingest serve` without Kafka, as a process: the embedded store of `run` (.era-data in its
 * working directory by default), refused when the data directory holds none unless --create,
 * and a clean stop on SIGTERM. No services: PGlite and the hash embedder.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgliteClient } from '../../../src/storage/pglite-client.ts';
import { uniqueName } from '../../helpers/names.ts';
import { runCli, startProcess } from '../../helpers/processes.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** No Kafka, no PostgreSQL: serve runs the pipeline itself. */
const ENV = { KAFKA_BROKERS: '', DATABASE_URL: '', EMBEDDER: 'hash', LOG_LEVEL: 'info' };

describe('era-ingest serve on an embedded store', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'era-serve-cli-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('refuses a data directory that holds no store (exit 2) and creates nothing', async () => {
    const missing = join(tempDir(), 'typo');
    const { code, output } = await runCli(['serve', '--data-dir', missing, '--port', '0'], ENV);
    expect(code).toBe(2);
    expect(output).toMatch(/the data directory .*typo does not exist: it holds no store of `era-ingest run`/);
    expect(existsSync(missing)).toBe(false);
    const both = await runCli(['serve', '--data-dir', missing, '--port', '0'], { ...ENV, KAFKA_BROKERS: '127.0.0.1:9' });
    expect(both.code).toBe(2);
    expect(both.output).toMatch(/--data-dir serves an embedded store, but KAFKA_BROKERS is set/);
  });

  it('serves .era-data of its working directory with no Kafka and no database: a posted document completes, and SIGTERM exits 0', async () => {
    const cwd = tempDir();
    const proc = startProcess('src/cli/main.ts', ['serve', '--port', '0', '--create'], ENV, { cwd });
    cleanups.push(() => proc.kill('SIGKILL'));
    await proc.waitForOutput('HTTP API listening', 120_000);
    expect(proc.output()).toMatch(new RegExp(`"store":"PGlite in ${join(cwd, '.era-data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    const port = Number(/"port":(\d+)/.exec(proc.output())![1]);
    const base = `http://127.0.0.1:${port}`;
    const jobId = uniqueName('cli');
    const res = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobId, documents: [{ id: 'cli-doc', text: 'Ferries run every hour across the harbour.' }] }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ jobId, accepted: 1, store: expect.stringContaining('.era-data') });
    await waitFor(async () => ((await (await fetch(`${base}/jobs/${jobId}`)).json()) as { phases: Record<string, number> }).phases.complete === 1, { what: 'the job to complete', timeoutMs: 60_000 });
    const hits = (await (await fetch(`${base}/search?q=ferries%20harbour&mode=text`)).json()) as { hits: Array<{ docId: string }> };
    expect(hits.hits[0]?.docId).toBe('cli-doc');
    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('HTTP API stopped');
    // The store is `run`'s: the document is in .era-data, and `status` reads the job from there.
    const db = await createPgliteClient({ dataDir: join(cwd, '.era-data') });
    try {
      const { rows } = await db.query<{ doc_id: string }>('SELECT doc_id FROM documents');
      expect(rows).toEqual([{ doc_id: 'cli-doc' }]);
    } finally {
      await db.close();
    }
    const status = await runCli(['status', jobId, '--json'], ENV, 60_000, { cwd });
    expect(status.code, status.output).toBe(0);
    expect(status.output).toMatch(/"complete": 1/);
  });
});
