/**
 * Embedded-mode benchmark worker (a child process, so its memory and CPU are its own):
 * the `era-ingest run` pipeline (`ingest` of src/embedded/pipeline.ts) into a fresh PGlite
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
import { createEmbedder } from '../../src/embedding/create-embedder.ts';
import { ingest } from '../../src/embedded/pipeline.ts';
import type { FileItem } from '../../src/embedded/files.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadMinistersFile } from '../../src/stages/minister/ministers-file.ts';
import { buildProfiles } from '../../src/stages/minister/profiles.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { upsertMinisterProfiles } from '../../src/storage/ministers.ts';
import { createPgliteClient } from '../../src/storage/pglite-client.ts';
import type { SqlClient } from '../../src/storage/sql-client.ts';
import type { Embedder } from '../../src/embedding/types.ts';
import { benchDocument } from '../lib/corpus.ts';

export interface WorkerInput {
  tag: string;
  docs: number;
  warmupDocs: number;
  /** Environment for loadConfig (EMBEDDER, OLLAMA_HOST, EMBED_DIM, EMBED_BATCH_SIZE, …). */
  env: Record<string, string>;
}

const emit = (message: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

async function* items(tag: string, count: number, readAt?: number[]): AsyncGenerator<FileItem> {
  for (let i = 0; i < count; i++) {
    readAt?.push(Date.now());
    yield { kind: 'document', doc: benchDocument(i, { tag }), origin: `${tag}-${i}` };
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
const config = loadConfig({ ...process.env, ...input.env });
const dir = mkdtempSync(join(tmpdir(), 'era-bench-pglite-'));
const client = timed.wrapClient(await createPgliteClient({ dataDir: dir }));
try {
  await migrate(client, { dimension: config.embedDim });
  const ministers = loadMinistersFile(config.ministersFile);
  await upsertMinisterProfiles(client, ministers);
  const embedder = timedEmbedder(createEmbedder(config));
  const profiles = await buildProfiles(ministers, embedder);
  const common = {
    client: timed.client, embedder, profiles,
    chunker: { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap },
    embedBatchSize: config.embedBatchSize, embedConcurrency: config.embedConcurrency,
  };
  emit({ type: 'ready', dataDir: dir });
  if (input.warmupDocs > 0) {
    await ingest(items(`${input.tag}-w`, input.warmupDocs), { ...common, nowMs: Date.now(), jobId: `${input.tag}-warmup` });
  }
  emit({ type: 'measuring', at: Date.now() });
  timed.reset();
  const readAt: number[] = [];
  const storedAt: number[] = [];
  const started = Date.now();
  const summary = await ingest(items(`${input.tag}-m`, input.docs, readAt), {
    ...common,
    nowMs: started,
    jobId: `${input.tag}-job`,
    onProgress: (p) => {
      const at = Date.now();
      // Documents complete in read order (one store batch at a time, in order).
      while (storedAt.length < p.documentsStored) storedAt.push(at);
      emit({ type: 'progress', at, documentsStored: p.documentsStored, chunksStored: p.chunksStored });
    },
  });
  const ended = Date.now();
  await embedder.close?.();
  emit({
    type: 'result', started, ended,
    documents: summary.documents, chunks: summary.chunks, embedded: summary.embedded, reused: summary.reused, failures: summary.failures.length,
    latencies: storedAt.map((at, i) => at - (readAt[i] ?? at)),
    memory: process.memoryUsage(), resources: process.resourceUsage(),
    phases: timed.phases(),
  });
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
