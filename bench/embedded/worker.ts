/**
 * Embedded-mode benchmark worker (a child process, so its memory and CPU are its own):
 * the `era-ingest run` pipeline (the in-process runner of src/in-process/runner.ts) into a fresh PGlite
 * database in a temporary directory, with the hash embedder or an Ollama endpoint.
 *
 *   node --import tsx bench/embedded/worker.ts '<json WorkerInput>'
 *
 * Writes JSON lines on stdout: {"type":"ready"}, then {"type":"progress",…} after every store
 * batch of the measured run, then {"type":"result",…}. Latency here is read→stored: from the
 * moment the pipeline read a document to the store batch that completed it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retryPolicyFor } from '../../src/config/presets.ts';
import { loadConfig } from '../../src/config/load.ts';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import type { Resources } from '../../src/stages/transform.ts';
import { createEmbedder } from '../../src/embedding/create-embedder.ts';
import { runInProcess, type Envelope } from '../../src/in-process/runner.ts';
import type { Messages, MinistersValue, StoredEvent } from '../../src/topics/messages.ts';
import { loadMinistersFile } from '../../src/stages/minister/ministers-file.ts';
import { buildProfiles } from '../../src/stages/minister/profiles.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { upsertMinisterProfiles } from '../../src/storage/ministers.ts';
import { createPgliteClient } from '../../src/storage/pglite-client.ts';
import type { SqlClient } from '../../src/storage/sql-client.ts';
import type { Embedder } from '../../src/embedding/types.ts';
import { benchDocument } from '../lib/corpus.ts';
import { settleConfig } from '../../src/embedding/dimension.ts';
import { shares } from '../lib/model.ts';

export interface WorkerInput {
  tag: string;
  docs: number;
  warmupDocs: number;
  /** Environment for loadConfig (EMBEDDER, OLLAMA_HOST, EMBED_DIM, EMBED_BATCH_SIZE, …). */
  env: Record<string, string>;
}

const emit = (message: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

async function* items(tag: string, count: number, version: number, jobId: string, readAt?: number[]): AsyncGenerator<Envelope<Messages['raw']>> {
  for (let i = 0; i < count; i++) {
    readAt?.push(Date.now());
    const doc = benchDocument(i, { tag });
    yield { value: { docId: doc.id, doc, version, jobId }, origin: `${tag}-${i}` };
  }
}

/**
 * Where the measured run's wall time goes: seconds with at least one embedding request in
 * flight, seconds inside store transactions (writeBatch), seconds in other queries (the
 * stored-vector lookup). Wrappers only time; they change nothing.
 */
const timed = (() => {
  let embedInFlight = 0;
  let embedSince = 0;
  let embedWall = 0;
  let writeS = 0;
  let queryS = 0;
  let embedCalls = 0;
  let embedCallMs = 0;
  let client: SqlClient | undefined;
  return {
    wrapEmbed<T>(fn: () => Promise<T>): Promise<T> {
      const started = performance.now();
      if (embedInFlight++ === 0) embedSince = started;
      return fn().finally(() => {
        const now = performance.now();
        embedCalls += 1;
        embedCallMs += now - started;
        if (--embedInFlight === 0) embedWall += now - embedSince;
      });
    },
    wrapClient(inner: SqlClient): SqlClient {
      client = {
        kind: inner.kind,
        query: async (sql, params) => {
          const t = performance.now();
          try { return await inner.query(sql, params); } finally { queryS += performance.now() - t; }
        },
        transaction: async (fn) => {
          const t = performance.now();
          try { return await inner.transaction(fn); } finally { writeS += performance.now() - t; }
        },
        close: () => inner.close(),
      };
      return client;
    },
    get client(): SqlClient { return client!; },
    reset(): void { embedWall = 0; writeS = 0; queryS = 0; embedCalls = 0; embedCallMs = 0; },
    phases: () => ({ embedWallS: embedWall / 1000, storeTransactionsS: writeS / 1000, otherQueriesS: queryS / 1000, embedCalls, embedMeanMs: embedCalls ? embedCallMs / embedCalls : 0 }),
  };
})();

function timedEmbedder(inner: Embedder): Embedder {
  return { ...inner, model: inner.model, dimension: inner.dimension, kind: inner.kind, embed: (texts, signal) => timed.wrapEmbed(() => inner.embed(texts, signal)) };
}

const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;
const config = await settleConfig(loadConfig({ ...process.env, ...input.env }));
const dir = mkdtempSync(join(tmpdir(), 'era-bench-pglite-'));
const client = timed.wrapClient(await createPgliteClient({ dataDir: dir }));
try {
  await migrate(client, { dimension: config.embedDim });
  const ministers = loadMinistersFile(config.ministersFile);
  await upsertMinisterProfiles(client, ministers);
  const embedder = timedEmbedder(createEmbedder(config));
  const profiles = await buildProfiles(ministers, embedder);
  const resources: Resources = {
    embedder: () => embedder,
    database: async () => timed.client,
    optionalDatabase: async () => timed.client,
    ministers: async () => profiles,
  };
  const counts = { documents: 0, chunks: 0, embedded: 0, reused: 0, failures: 0 };
  /** The embed stage's concurrency limit after each embedding request. */
  const limits: number[] = [];
  const last = PIPELINE.stages.at(-1)!;
  const run = (source: AsyncIterable<Envelope<Messages['raw']>>, onStored?: () => void): Promise<void> => runInProcess(source, {
    flow: PIPELINE,
    context: { config, resources, now: Date.now, observer: { embedded: (fresh, reused) => { counts.embedded += fresh; counts.reused += reused; }, embedConcurrency: (limit) => void limits.push(limit) } },
    retryPolicy: retryPolicyFor(config),
    deadLetters: async (letters) => { counts.failures += letters.length; },
    dlqLimit: { maxRatio: config.dlqMaxRatio, window: config.dlqWindow },
    onOutcome: (stage, outcome) => {
      if (stage !== last || outcome.poison) return;
      if ((outcome.input.value as MinistersValue).kind === 'chunk') counts.chunks += 1;
      const stored = (outcome.outputs as StoredEvent[]).filter((e) => !e.deleted).length;
      counts.documents += stored;
      if (stored) onStored?.();
    },
  });
  emit({ type: 'ready', dataDir: dir });
  if (input.warmupDocs > 0) await run(items(`${input.tag}-w`, input.warmupDocs, Date.now(), `${input.tag}-warmup`));
  emit({ type: 'measuring', at: Date.now() });
  timed.reset();
  Object.assign(counts, { documents: 0, chunks: 0, embedded: 0, reused: 0, failures: 0 });
  limits.length = 0;
  const readAt: number[] = [];
  const storedAt: number[] = [];
  const started = Date.now();
  await run(items(`${input.tag}-m`, input.docs, started, `${input.tag}-job`, readAt), () => {
    const at = Date.now();
    // Documents complete in read order (one store batch at a time, in order).
    while (storedAt.length < counts.documents) storedAt.push(at);
    emit({ type: 'progress', at, documentsStored: counts.documents, chunksStored: counts.chunks });
  });
  const summary = counts;
  const ended = Date.now();
  await embedder.close?.();
  emit({
    type: 'result', started, ended,
    documents: summary.documents, chunks: summary.chunks, embedded: summary.embedded, reused: summary.reused, failures: summary.failures,
    latencies: storedAt.map((at, i) => at - (readAt[i] ?? at)),
    memory: process.memoryUsage(), resources: process.resourceUsage(),
    phases: timed.phases(),
    limits: shares(limits),
  });
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
