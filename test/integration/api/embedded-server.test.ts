/**
 * The HTTP API on an embedded store (`serve` without Kafka), in-process on port 0 against a
 * temporary PGlite data directory, wired as `era-ingest serve --data-dir` wires it
 * (src/api/run-api-service.ts embeddedDependencies): documents go through the server's one
 * in-process pipeline, and every read route answers from the same store. No services: the
 * built-in hash embedder, or the Ollama-API double (an HTTP server in this process) where a
 * stage must reject an input on cue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedDependencies, type Cleanups } from '../../../src/api/run-api-service.ts';
import { createApiServer } from '../../../src/api/server.ts';
import { openStore } from '../../../src/cli/open-store.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { createPgliteClient } from '../../../src/storage/pglite-client.ts';
import { corpus } from '../../helpers/corpus.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startOllamaDouble, type OllamaDouble } from '../../helpers/ollama-double.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const TOKEN = 'embedded-api-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });

interface Job { jobId: string; docCount: number; done: number; phases: Record<string, number>; failures: Array<{ docId: string; stage: string | null; code: string | null; message: string | null }> }
interface Hit { docId: string; chunkId: string; text: string }

describe('HTTP API on an embedded store (in-process runner, PGlite)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** An API over a new PGlite store in a temporary directory, as `serve --data-dir <dir> --create` builds it. */
  async function start(env: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'era-serve-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = loadConfig({ EMBEDDER: 'hash', EMBED_DIM: '64', LOG_LEVEL: 'silent', API_TOKEN: TOKEN, ...env });
    const dataDir = join(dir, 'data');
    const parts: Cleanups = [];
    const close = async (): Promise<void> => {
      for (const { run } of parts.splice(0).reverse()) await run();
    };
    cleanups.push(close);
    const { deps } = await embeddedDependencies({ open: () => openStore({ dataDir, create: true }, config, { verify: true }) }, config, createLogger('silent'), new AbortController().signal, parts);
    const api = createApiServer({ ...deps, registry: createMetrics().registry }, { token: TOKEN });
    parts.push({ what: 'http server', run: () => api.close() });
    const base = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
    const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}${path}`, { headers: auth });
      return { status: res.status, body: (await res.json()) as T };
    };
    const job = async (jobId: string): Promise<Job> => (await get<Job>(`/jobs/${encodeURIComponent(jobId)}`)).body;
    const finished = (jobId: string, timeoutMs = 60_000): Promise<Job> => waitFor(async () => {
      const j = await job(jobId);
      return j.docCount > 0 && j.done === 1 ? j : false;
    }, { timeoutMs, what: `job ${jobId} to finish` });
    return { base, dataDir, get, job, finished, close, deps };
  }

  it('runs a posted document to complete through the in-process pipeline; search, the document, ministers and probes answer from the store', async () => {
    const api = await start();
    const jobId = uniqueName('job');
    const doc = {
      id: 'hr/leave.md', title: 'Parental leave', source: 'file:///policies/hr/leave.md', minister: 'health', category: 'staff', metadata: { team: 'hr', year: 2025 },
      text: '# Parental leave\n\nEvery parent may take twenty weeks of paid leave.\n\n## Returning to work\n\nA parent returning from leave may ask for part-time hours during the first six months.',
    };
    const res = await fetch(`${api.base}/documents`, post({ documents: [doc], jobId }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ jobId, accepted: 1, store: expect.stringMatching(/^PGlite in .*data$/) });

    const job = await api.finished(jobId);
    expect(job).toMatchObject({ jobId, docCount: 1, done: 1, phases: { complete: 1, failed: 0 }, failures: [] });
    expect((await api.get<{ jobs: Array<{ jobId: string }> }>('/jobs')).body.jobs.map((j) => j.jobId)).toContain(jobId);

    for (const mode of ['vector', 'text', 'hybrid']) {
      const search = await api.get<{ mode: string; hits: Hit[] }>(`/search?q=${encodeURIComponent('part-time hours returning from leave')}&mode=${mode}&k=3`);
      expect(search.status, mode).toBe(200);
      expect(search.body.mode).toBe(mode);
      expect(search.body.hits[0]?.docId, mode).toBe('hr/leave.md');
    }

    const shown = await api.get<{ docId: string; version: number; title: string; source: string; metadata: unknown; ministerId: string; category: string; chunkCount: number; jobId: string; chunks: Array<{ seq: number; tokenCount: number; text: string; headingPath: string[]; ministerId: string; category: string }>; jobs: Array<{ jobId: string; phase: string }> }>(`/documents/${encodeURIComponent('hr/leave.md')}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ docId: 'hr/leave.md', title: 'Parental leave', source: doc.source, metadata: doc.metadata, ministerId: 'health', category: 'staff', jobId, jobs: [{ jobId, phase: 'complete' }] });
    expect(shown.body.version).toBeGreaterThanOrEqual(0);
    const { chunks } = shown.body;
    expect(chunks.length).toBe(shown.body.chunkCount);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks.every((c) => c.tokenCount > 0 && c.ministerId === 'health' && c.category === 'staff')).toBe(true);
    expect(chunks.map((c) => c.text).join('\n')).toContain('part-time hours');
    expect(chunks[0]!.headingPath).toEqual(['Parental leave']);
    expect((await api.get<{ error: { code: string } }>('/documents/never-stored')).body.error.code).toBe('DOCUMENT_NOT_FOUND');

    const ministers = await api.get<{ ministers: Array<{ id: string; entryCount: number; categories: Record<string, number>; uncategorised: number }> }>('/ministers');
    expect(ministers.status).toBe(200);
    expect(ministers.body.ministers.find((m) => m.id === 'health')).toMatchObject({ entryCount: chunks.length, categories: { staff: chunks.length }, uncategorised: 0 });

    expect(await (await fetch(`${api.base}/readyz`)).json()).toEqual({ status: 'ready', pipeline: true, database: true });
    expect((await fetch(`${api.base}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${api.base}/metrics`, { headers: auth });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/era_api_documents_accepted_total\{lane="normal"\} 1/);
    expect((await fetch(`${api.base}/ministers`)).status).toBe(401);
  });

  it('answers searches while it ingests (one PGlite connection shared by both), and versions a re-submitted document', async () => {
    // The Ollama-API double with a latency per request: the ingest lasts long enough for a search
    // to start and end inside it whatever the machine's speed (the hash embedder can finish first).
    const double: OllamaDouble = await startOllamaDouble({ dimension: 32 });
    cleanups.push(() => double.close());
    double.setLatency(150);
    const api = await start({ EMBEDDER: 'ollama', OLLAMA_HOST: double.url, EMBED_DIM: '32' });
    const jobId = uniqueName('bulk');
    const docs = corpus(150).map((d) => ({ ...d, id: `bulk-${d.id}` }));
    expect((await fetch(`${api.base}/documents`, post({ documents: docs, jobId }))).status).toBe(202);
    // A search that starts and ends while the job is unfinished ran during the ingest.
    const during = await waitFor(async () => {
      const before = await api.job(jobId);
      const search = await api.get<{ hits: Hit[] }>('/search?q=hospital%20waiting%20lists&mode=hybrid&k=5');
      const after = await api.job(jobId);
      expect(search.status).toBe(200);
      return before.done < 1 && after.done < 1 && after.phases.complete! > 0 ? { search, after } : false;
    }, { what: 'a search answered while the job was still ingesting', timeoutMs: 60_000 });
    expect(during.search.body.hits.length).toBeGreaterThan(0);
    double.setLatency(0);
    const job = await api.finished(jobId, 120_000);
    expect(job.phases).toMatchObject({ complete: docs.length, failed: 0 });

    // A second submission of one id: a new version, its content current.
    const first = (await api.get<{ version: number }>(`/documents/${docs[0]!.id}`)).body.version;
    const again = uniqueName('again');
    expect((await fetch(`${api.base}/documents`, post({ documents: [{ id: docs[0]!.id, text: 'Entirely new text about tram timetables.' }], jobId: again }))).status).toBe(202);
    await api.finished(again);
    const shown = (await api.get<{ version: number; chunks: Array<{ text: string }> }>(`/documents/${docs[0]!.id}`)).body;
    expect(shown.version).toBeGreaterThan(first);
    expect(shown.chunks.map((c) => c.text)).toEqual(['Entirely new text about tram timetables.']);
  });

  it('lists a document a stage rejected in GET /dead-letters, and replays it to complete once the cause is fixed', async () => {
    const double: OllamaDouble = await startOllamaDouble({ dimension: 32 });
    cleanups.push(() => double.close());
    const api = await start({ EMBEDDER: 'ollama', OLLAMA_HOST: double.url, EMBED_DIM: '32' });
    double.rejectInputsContaining('POISON-MARKER');
    const jobId = uniqueName('poison');
    const docs = [
      { id: 'fine-1', text: 'The budget raises spending on schools.' },
      { id: 'bad-1', text: 'A paragraph the embedder refuses: POISON-MARKER.' },
    ];
    expect((await fetch(`${api.base}/documents`, post({ documents: docs, jobId }))).status).toBe(202);
    const job = await api.finished(jobId);
    expect(job.phases).toMatchObject({ complete: 1, failed: 1 });
    expect(job.failures).toEqual([expect.objectContaining({ docId: 'bad-1', stage: 'embed', code: 'EMBEDDER_REJECTED_INPUT' })]);

    const listed = await api.get<{ deadLetters: Array<{ id: string; stage: string; code: string; docId: string; jobId: string; attempts: number; value: string; replayedAt?: string }> }>('/dead-letters?stage=embed&code=EMBEDDER_REJECTED_INPUT');
    expect(listed.status).toBe(200);
    expect(listed.body.deadLetters).toEqual([expect.objectContaining({ stage: 'embed', code: 'EMBEDDER_REJECTED_INPUT', docId: 'bad-1', jobId, attempts: 1 })]);
    expect(JSON.parse(listed.body.deadLetters[0]!.value)).toMatchObject({ kind: 'chunk', docId: 'bad-1', text: expect.stringContaining('POISON-MARKER') });
    expect(listed.body.deadLetters[0]!.replayedAt).toBeUndefined();
    expect((await api.get<{ deadLetters: unknown[] }>('/dead-letters?stage=chunk')).body.deadLetters).toEqual([]);
    expect((await api.get<unknown>('/documents/bad-1')).status).toBe(404);

    // The cause is fixed: the embedder takes the input now.
    double.reset();
    const replay = await fetch(`${api.base}/dead-letters/replay`, post({ stage: 'embed' }));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ replayed: 1, skipped: 0, byStage: { embed: 1 } });
    const replayed = await waitFor(async () => {
      const j = await api.job(jobId);
      return j.phases.complete === 2 ? j : false;
    }, { what: 'the replayed document to complete its job' });
    expect(replayed.phases.failed).toBe(0);
    const doc = await api.get<{ chunks: Array<{ text: string }> }>('/documents/bad-1');
    expect(doc.status).toBe(200);
    expect(doc.body.chunks.map((c) => c.text).join(' ')).toContain('POISON-MARKER');
    // Replayed once: the letter is marked, and a second replay takes nothing unless `all`.
    expect((await api.get<{ deadLetters: Array<{ replayedAt?: string }> }>('/dead-letters')).body.deadLetters).toEqual([expect.objectContaining({ replayedAt: expect.any(String) })]);
    expect(await (await fetch(`${api.base}/dead-letters/replay`, post({}))).json()).toEqual({ replayed: 0, skipped: 0, byStage: {} });
    expect((await fetch(`${api.base}/dead-letters/replay`, post({ all: 'yes' }))).status).toBe(400);
  });

  it('on shutdown, records the documents it could not store by the deadline as failed in their job', async () => {
    const double: OllamaDouble = await startOllamaDouble({ dimension: 32 });
    cleanups.push(() => double.close());
    const api = await start({ EMBEDDER: 'ollama', OLLAMA_HOST: double.url, EMBED_DIM: '32', SHUTDOWN_TIMEOUT_MS: '500' });
    double.failFor(undefined); // the embedder answers 503 until further notice: an outage, retried
    const jobId = uniqueName('stop');
    const calls = double.calls;
    expect((await fetch(`${api.base}/documents`, post({ documents: [{ id: 'stuck-1', text: 'Waiting for an embedder.' }], jobId }))).status).toBe(202);
    await waitFor(() => double.calls > calls, { what: 'the pipeline to try the embedder' });
    await api.close(); // the server, then the pipeline's drain, which gives up after SHUTDOWN_TIMEOUT_MS
    const db = await createPgliteClient({ dataDir: api.dataDir });
    try {
      const { rows } = await db.query<{ doc_id: string; phase: string; error_code: string; error_message: string }>('SELECT doc_id, phase, error_code, error_message FROM job_documents WHERE job_id = $1', [jobId]);
      expect(rows).toEqual([{ doc_id: 'stuck-1', phase: 'failed', error_code: 'SHUTDOWN', error_message: expect.stringMatching(/stopped before this document was stored: submit it again/) }]);
    } finally {
      await db.close();
    }
  });
});
