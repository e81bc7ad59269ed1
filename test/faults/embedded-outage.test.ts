/**
 * Fault: the embedder stops during `era-ingest run` (embedded mode, the in-process runner) for
 * 20 s and comes back. The run retries like the Kafka stages (jittered backoff, within
 * RETRY_DEADLINE_MS), finishes with every document stored and exits 0. A document the embedder
 * rejects as input is reported in the summary, kept in the store's dead_letters table, and the
 * exit code says so; the rest is stored.
 *
 * The embedder is the Ollama-API test double: a stopped server (connection refused) and a
 * per-input rejection on demand are faults a real Ollama cannot be made to show on cue.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import { createPgliteClient } from '../../src/storage/pglite-client.ts';
import { corpus } from '../helpers/corpus.ts';
import { sleep } from '../helpers/fault-checks.ts';
import { startOllamaDouble, type OllamaDouble } from '../helpers/ollama-double.ts';
import { startProcess } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DIM = 64;
const CHUNKER = { maxTokens: 64, overlapTokens: 8 };
const DOCS = 120;
const ENV = { DATABASE_URL: '', EMBEDDER: 'ollama', EMBED_DIM: String(DIM), CHUNK_TOKENS: String(CHUNKER.maxTokens), CHUNK_OVERLAP: String(CHUNKER.overlapTokens), PROFILE: 'local', LOG_LEVEL: 'warn', EMBED_TIMEOUT_MS: '5000' };

interface Summary { documents: number; chunks: number; deadLetters: number; failures: Array<{ origin: string; reason: string; stage?: string }>; error?: string }
const summaryOf = (output: string): Summary => JSON.parse(output.slice(output.search(/^\{$/m))) as Summary;

describe('fault: the embedder stops during `era-ingest run`', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const setup = (docs = corpus(DOCS)) => {
    const dir = mkdtempSync(join(tmpdir(), 'era-run-outage-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'corpus.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n'));
    return { input: join(dir, 'corpus.jsonl'), dataDir: join(dir, 'data'), docs };
  };

  it('retries through 20 s of a stopped embedder and stores every document (exit 0)', async () => {
    const { input, dataDir, docs } = setup();
    let double: OllamaDouble = await startOllamaDouble({ dimension: DIM });
    cleanups.push(() => double.close());
    const port = Number(new URL(double.url).port);
    double.setLatency(150);
    const run = startProcess('src/cli/main.ts', ['run', input, '--data-dir', dataDir, '--json', '--no-progress'], { ...ENV, OLLAMA_HOST: double.url });
    cleanups.push(() => run.kill('SIGKILL'));
    // The minister profiles and a few chunk batches are embedded: the run is under way.
    await waitFor(() => double.inputs > 100, { timeoutMs: 90_000, what: 'the run to embed its first chunks' });
    expect(run.child.exitCode).toBeNull();
    await double.close();
    const stopped = Date.now();
    await run.waitForOutput(/embed stage: .*retrying in/, 60_000); // the run saw the outage and backs off
    await sleep(Math.max(0, 20_000 - (Date.now() - stopped))); // the rest of the 20 s outage
    expect(run.child.exitCode).toBeNull(); // waited, did not give up or finish without the embedder
    double = await startOllamaDouble({ dimension: DIM, port });
    const code = await run.exited;
    const output = run.output();
    expect(code, output.slice(-2000)).toBe(0);
    expect(double.calls).toBeGreaterThan(0); // the rest was embedded after the restart
    expect(output).toMatch(/embed stage: .*retrying in/);
    const summary = summaryOf(output);
    expect(summary.documents).toBe(docs.length);
    expect(summary.deadLetters).toBe(0);
    expect(summary.error).toBeUndefined();
    const expectedChunks = docs.reduce((n, d) => n + chunkDocument(d, { version: 1 }, CHUNKER).length, 0);
    const db = await createPgliteClient({ dataDir });
    try {
      const { rows: [c] } = await db.query<{ docs: number; chunks: number }>('SELECT (SELECT count(*) FROM documents)::int AS docs, (SELECT count(*) FROM chunks)::int AS chunks');
      expect(Number(c!.docs)).toBe(docs.length);
      expect(Number(c!.chunks)).toBe(expectedChunks);
    } finally {
      await db.close();
    }
    console.log(`[faults/embedded] ${docs.length} documents, ${expectedChunks} chunks stored after a 20 s embedder stop; retries logged: ${(output.match(/retrying in/g) ?? []).length}`);
  });

  it('reports a document the embedder rejects as input, keeps it as a dead letter, exits 1 and stores the rest', async () => {
    const docs = corpus(20);
    docs[7] = { ...docs[7]!, text: `${docs[7]!.text}\n\nPOISON-INPUT-MARKER` };
    const { input, dataDir } = setup(docs);
    const double = await startOllamaDouble({ dimension: DIM });
    cleanups.push(() => double.close());
    double.rejectInputsContaining('POISON-INPUT-MARKER');
    const run = startProcess('src/cli/main.ts', ['run', input, '--data-dir', dataDir, '--json', '--no-progress'], { ...ENV, OLLAMA_HOST: double.url });
    const code = await run.exited;
    const summary = summaryOf(run.output());
    expect(code).toBe(1);
    expect(summary.documents).toBe(docs.length - 1);
    expect(summary.deadLetters).toBeGreaterThanOrEqual(1);
    // One failure line for the document, however many of its chunks were rejected.
    const rejected = summary.failures.filter((f) => f.stage === 'embed');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.origin).toMatch(/corpus\.jsonl:8$/);
    expect(rejected[0]!.reason).toMatch(/EMBEDDER_REJECTED_INPUT/);
    // Listing reads the store only: it needs no model server (none answers at this address).
    const listed = startProcess('src/cli/main.ts', ['dlq', 'list', '--data-dir', dataDir, '--json'], { ...ENV, OLLAMA_HOST: 'http://127.0.0.1:9' });
    expect(await listed.exited, listed.output()).toBe(0);
    const letters = JSON.parse(listed.output().slice(listed.output().indexOf('['))) as Array<{ stage: string; errorCode: string; docId: string; origin: string }>;
    expect(letters).toHaveLength(summary.deadLetters);
    expect(letters.every((l) => l.stage === 'embed' && l.errorCode === 'EMBEDDER_REJECTED_INPUT' && l.docId === 'doc-7')).toBe(true);
    const db = await createPgliteClient({ dataDir });
    try {
      const { rows } = await db.query<{ stage: string; error_code: string; doc_id: string; message_kind: string }>('SELECT stage, error_code, doc_id, message_kind FROM dead_letters');
      expect(rows.length).toBe(summary.deadLetters);
      expect(rows.every((r) => r.stage === 'embed' && r.error_code === 'EMBEDDER_REJECTED_INPUT' && r.doc_id === 'doc-7' && r.message_kind === 'chunks')).toBe(true);
      const { rows: [d] } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM documents WHERE doc_id = 'doc-7'");
      expect(Number(d!.n)).toBe(0);
    } finally {
      await db.close();
    }

    // The cause is fixed: `dlq replay --data-dir` runs the letters from the embed stage on, once.
    double.reset();
    const replayed = startProcess('src/cli/main.ts', ['dlq', 'replay', '--data-dir', dataDir, '--json'], { ...ENV, OLLAMA_HOST: double.url });
    expect(await replayed.exited, replayed.output()).toBe(0);
    const result = JSON.parse(replayed.output().slice(replayed.output().indexOf('{'))) as { replayed: number; skipped: number; byStage: Record<string, number>; recordedAgain: number };
    expect(result).toEqual({ replayed: summary.deadLetters, skipped: 0, byStage: { embed: summary.deadLetters }, recordedAgain: 0 });
    const again = startProcess('src/cli/main.ts', ['dlq', 'replay', '--data-dir', dataDir, '--json'], { ...ENV, OLLAMA_HOST: double.url });
    expect(await again.exited, again.output()).toBe(0);
    expect(JSON.parse(again.output().slice(again.output().indexOf('{')))).toMatchObject({ replayed: 0, recordedAgain: 0 });
    const after = await createPgliteClient({ dataDir });
    try {
      const { rows: [d] } = await after.query<{ n: number }>("SELECT count(*)::int AS n FROM documents WHERE doc_id = 'doc-7'");
      expect(Number(d!.n)).toBe(1);
      const { rows: [c] } = await after.query<{ n: number }>("SELECT count(*)::int AS n FROM chunks WHERE doc_id = 'doc-7' AND text LIKE '%POISON-INPUT-MARKER%'");
      expect(Number(c!.n)).toBe(1);
    } finally {
      await after.close();
    }
  });
});
