/**
 * The web console in a real browser, end to end: the sample corpus ingested by `era-ingest run`,
 * `era-ingest serve --data-dir` on that store (no Kafka, no PostgreSQL), and headless Chromium
 * (./chromium.ts) reading the DOM: a search from the page (and from a URL), a document with its
 * chunks, a job submitted over HTTP watched live until complete, a dead letter seen and replayed,
 * the flow chart updating, the ministers. Screenshots of each page: test-artifacts/console/.
 *
 * Embedder: the Ollama-API test double, not the real model — one step needs an embedder that
 * rejects an input on demand and accepts it after the "fix" (a dead letter, then its replay),
 * which a real Ollama cannot be made to do. Its vectors are lexical, so searches here match words.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/fault-services.ts';
import { startOllamaDouble, type OllamaDouble } from '../helpers/ollama-double.ts';
import { runCli, startProcess, type ServiceProcess } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { launchChromium } from './chromium.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));
const DIM = 64;

describe('the web console in Chromium', () => {
  let double: OllamaDouble;
  let dataDir: string;
  let serve: ServiceProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  let env: Record<string, string>;

  const shot = (name: string, fullPage = true): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  const submit = async (documents: unknown[]): Promise<string> => {
    const res = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents }) });
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as { jobId: string }).jobId;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    double = await startOllamaDouble({ dimension: DIM });
    dataDir = join(mkdtempSync(join(tmpdir(), 'era-console-')), 'store');
    env = { DATABASE_URL: '', KAFKA_BROKERS: '', EMBEDDER: 'ollama', OLLAMA_HOST: double.url, EMBED_MODEL: 'all-minilm', EMBED_DIM: '', LOG_LEVEL: 'info' };
    const ingested = await runCli(['run', SAMPLES, '--data-dir', dataDir, '--no-progress'], env, 120_000);
    expect(ingested.code, ingested.output).toBe(0);
    const port = await freePort(31_000);
    base = `http://127.0.0.1:${port}`;
    serve = startProcess('src/cli/main.ts', ['serve', '--data-dir', dataDir, '--port', String(port)], env);
    await serve.waitForOutput('HTTP API listening');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    serve?.kill('SIGTERM');
    await serve?.exited;
    await double?.close();
    if (dataDir) rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('searches from the page and from a link, with filters, and shows the passages', async () => {
    await page.goto(`${base}/`);
    await page.fill('input[name=q]', 'hospital waiting lists');
    await page.selectOption('select[name=minister]', 'health');
    await page.click('form.search button[type=submit]');
    await page.waitForSelector('ol.hits li.hit');
    expect(new URL(page.url()).searchParams.get('q')).toBe('hospital waiting lists');
    const docs = await page.locator('ol.hits li.hit').evaluateAll((items) => items.map((li) => li.getAttribute('data-doc-id')));
    expect(docs[0]).toBe('health/hospital-waiting-lists-recovery-plan.md');
    const where = await page.locator('ol.hits li.hit .meta:last-child').allTextContents();
    expect(where.every((w) => w.startsWith('health'))).toBe(true);
    expect(await page.locator('ol.hits li.hit').first().locator('mark').count()).toBeGreaterThan(0);
    await shot('search', false);

    // The same search as a bookmark, in text mode: the page reads it from the URL.
    await page.goto(`${base}/?q=${encodeURIComponent('"surgical hubs"')}&mode=text&k=3`);
    expect(await page.locator('select[name=mode]').inputValue()).toBe('text');
    expect(await page.locator('#result-count').textContent()).toMatch(/\d+ results \(text/);
    expect((await page.locator('ol.hits li.hit').first().locator('mark').allTextContents()).map((m) => m.toLowerCase())).toEqual(expect.arrayContaining(['surgical', 'hubs']));
  });

  it('opens a document from a hit: its chunks in order with token counts, minister and category', async () => {
    await page.goto(`${base}/?q=${encodeURIComponent('river sewage overflows')}`);
    await page.locator('ol.hits li.hit a.hit-title').first().click();
    await page.waitForSelector('#doc-id');
    expect(await page.locator('#doc-id').textContent()).toBe('environment/river-sewage-pollution-action-plan.md');
    const chunks = page.locator('ol.chunks > li');
    const n = await chunks.count();
    expect(n).toBeGreaterThan(1);
    expect(await chunks.evaluateAll((items) => items.map((li) => Number(li.getAttribute('data-seq'))))).toEqual([...Array(n).keys()]);
    expect(await chunks.first().locator('.meta').textContent()).toMatch(/#0 · \d+ tokens · environment/);
    await shot('document');
  });

  it('watches a job submitted over HTTP reach complete, live', async () => {
    double.setLatency(1_500);
    const jobId = await submit([
      { id: 'console/ferries', text: '# Ferries\n\nIsland ferry services run hourly in summer and every two hours in winter.' },
      { id: 'console/tolls', text: '# Tolls\n\nBridge tolls are frozen for another year.' },
      { id: 'console/cycling', text: 'Cycle lanes are added on four arterial roads this spring.' },
    ]);
    await page.goto(`${base}/ui/job?id=${encodeURIComponent(jobId)}`);
    expect(await page.locator('#job').getAttribute('data-state')).toBe('running');
    double.setLatency(0);
    // The script re-renders the job in place until it is done: no reload.
    await page.waitForSelector('#job[data-state="done"]', { timeout: 60_000 });
    expect(await page.locator('#job td[data-phase="complete"]').textContent()).toBe('3');
    expect(await page.locator('#job-done').textContent()).toBe('100.0%');
    await shot('job');
    await page.goto(`${base}/ui/jobs`);
    expect(await page.locator(`tr[data-job-id="${jobId}"] td[data-phase="complete"]`).textContent()).toBe('3');
    await shot('jobs');
  });

  it('lists a dead letter with its error and replays it after the fix', async () => {
    double.rejectInputsContaining('POISON-MARKER');
    const jobId = await submit([{ id: 'console/poisoned', text: 'A paragraph the embedder refuses: POISON-MARKER.' }]);
    await waitFor(async () => {
      const job = (await (await fetch(`${base}/jobs/${encodeURIComponent(jobId)}`)).json()) as { done: number };
      return job.done >= 1 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 300, what: 'the poisoned job to finish' });
    await page.goto(`${base}/ui/dead-letters?stage=embed`);
    const row = page.locator('#dead-letters tbody tr').filter({ hasText: 'console/poisoned' });
    expect(await row.count()).toBe(1);
    expect(await row.locator('code').textContent()).toBe('EMBEDDER_REJECTED_INPUT');
    await shot('dead-letters');

    double.reset();
    await page.click('#replay button[type=submit]');
    await page.waitForSelector('#replay-result');
    expect(await page.locator('#replay-result').textContent()).toMatch(/replayed 1/);
    const stored = await waitFor(async () => {
      const res = await fetch(`${base}/documents/${encodeURIComponent('console/poisoned')}`);
      return res.ok ? ((await res.json()) as { chunks: unknown[] }) : undefined;
    }, { timeoutMs: 60_000, intervalMs: 300, what: 'the replayed document to be stored' });
    expect(stored.chunks.length).toBe(1);
  });

  it('draws the flow per stage and updates it as the stages work', async () => {
    await page.goto(`${base}/ui/flow`);
    const first = Number(await page.locator('#flow').getAttribute('data-points'));
    // Slow enough that the work spans several 5 s samples.
    double.setLatency(300);
    await submit(Array.from({ length: 20 }, (_, i) => ({ id: `console/flow-${i}`, text: `Flow document ${i} about rail timetables and bus routes in the north.` })));
    // Live: the script re-renders the charts at the sampling interval, without a reload.
    // A sample taken after the page was loaded, showing the embed stage at work.
    const moving = await waitFor(async () => {
      const [points, value] = await page.locator('#flow').evaluate((el) => [Number(el.getAttribute('data-points')), Number(el.querySelector('tr[data-stage="embed"] td[data-metric="throughput"]')?.textContent)]);
      return points! > first && value! > 0 ? { points, value } : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'a new sample with the embed stage\'s throughput on the page' });
    double.setLatency(0);
    expect(moving.value).toBeGreaterThan(0);
    expect(await page.locator('figure.chart[data-panel="throughput"] polyline').count()).toBe(4);
    expect(await page.locator('#flow-latest tbody tr').count()).toBe(4);
    await shot('flow');
  });

  it('shows each minister with its categories, entries and export', async () => {
    await page.goto(`${base}/ui/ministers`);
    const health = page.locator('section[data-minister="health"]');
    expect(Number(await health.locator('[data-entries]').textContent())).toBeGreaterThan(0);
    expect(await health.locator('table tbody tr').count()).toBeGreaterThan(0);
    const exported = await (await fetch(`${base}/ui/ministers/export?minister=health`)).text();
    const lines = exported.trim().split('\n').map((l) => JSON.parse(l) as { id?: string; docId?: string });
    expect(lines[0]!.id).toBe('health');
    expect(lines.length - 1).toBe(Number(await health.locator('[data-entries]').textContent()));
    await shot('ministers', false);
  });
});
