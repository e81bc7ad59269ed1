/**
 * The `reembed` scenario: `era-ingest reembed` over a store of `chunks` routed chunks (written
 * by the store's own writeBatch into a fresh database), with the hash embedder or the Ollama
 * test double as the new model, while a searcher queries the pipeline's model all along.
 * Reports the re-embedding rate, the index build time and search latency before and during.
 */
import pg from 'pg';
import { loadConfig } from '../../src/config/load.ts';
import { createHashEmbedder } from '../../src/embedding/hash-embedder.ts';
import { createLogger } from '../../src/log/logger.ts';
import { runReembed, type ReembedSummary } from '../../src/reembed/run-reembed.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPgClient, type PgClient } from '../../src/storage/pg-client.ts';
import { search } from '../../src/storage/search.ts';
import { writeBatch } from '../../src/storage/store.ts';
import { startOllamaDouble, type OllamaDouble } from '../../test/helpers/ollama-double.ts';
import { summarize } from '../lib/stats.ts';
import type { LatencySummary, ReembedFigures } from '../lib/types.ts';
import { routedChunks } from './index-cost.ts';
import { describeDouble, type DoubleSettings } from '../lib/targets.ts';

export interface ReembedOptions {
  adminDatabaseUrl: string;
  brokers: string[];
  id: string;
  chunks: number;
  embedDim: number;
  chunker: { maxTokens: number; overlapTokens: number };
  /** The new model: the hash embedder at twice the dimension, or the Ollama double. */
  double?: DoubleSettings;
  keep: boolean;
  log: (message: string) => void;
}

async function searchLoop(db: PgClient, stop: () => boolean, dim: number): Promise<{ ms: number[]; errors: number; short: number }> {
  const [query] = await createHashEmbedder({ dimension: dim }).embed(['treasury budget deficit and income tax']);
  const out = { ms: [] as number[], errors: 0, short: 0 };
  while (!stop()) {
    const started = performance.now();
    try {
      if ((await search(db, query!, { k: 10, model: 'hash-v1' })).length < 10) out.short += 1;
    } catch {
      out.errors += 1;
    }
    out.ms.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return out;
}

export async function measureReembed(o: ReembedOptions): Promise<ReembedFigures> {
  const name = `${o.id}_reembed`.replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: o.adminDatabaseUrl });
  await admin.connect();
  let db: PgClient | undefined;
  let double: OllamaDouble | undefined;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(o.adminDatabaseUrl);
    url.pathname = `/${name}`;
    db = createPgClient(url.toString(), { max: 2 });
    await migrate(db, { dimension: o.embedDim });
    const items = await routedChunks(o.chunks, `${o.id}-reembed`, o.embedDim, o.chunker);
    o.log(`reembed: storing ${items.length} chunks`);
    for (let i = 0; i < items.length; i += 512) await writeBatch(db, items.slice(i, i + 512), { now: Date.now() });

    const dimension = o.double ? o.embedDim : o.embedDim * 2;
    if (o.double) double = await startOllamaDouble({ dimension, maxConcurrent: o.double.concurrency });
    const config = loadConfig({
      ...process.env, KAFKA_BROKERS: o.brokers.join(','), DATABASE_URL: url.toString(), TOPIC_PREFIX: o.id, GROUP_PREFIX: o.id,
      EMBED_DIM: String(o.embedDim), LOG_LEVEL: 'warn', COMMIT_INTERVAL_MS: '200',
      ...(o.double
        ? { EMBEDDER: 'ollama', OLLAMA_HOST: double!.url, EMBED_CONCURRENCY: String(o.double.concurrency), EMBED_BATCH_SIZE: String(o.double.batchSize) }
        : { EMBEDDER: 'hash' }),
    });
    if (double && o.double) double.setLatency(o.double.latencyMs, o.double.itemLatencyMs);
    const model = o.double ? 'bench-double-model' : `hash-v1-${dimension}`;

    let stopBefore = false;
    const before = searchLoop(db, () => stopBefore, o.embedDim);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    stopBefore = true;
    const idle = await before;

    o.log(`reembed: re-embedding ${items.length} chunks with ${model} (${dimension} dimensions)`);
    let done = false;
    const during = searchLoop(db, () => done, o.embedDim);
    let summary: ReembedSummary;
    const window: { first?: [number, number]; last?: [number, number] } = {};
    try {
      summary = await runReembed({
        config, model, dimension, logger: createLogger('warn', { bench: 'reembed' }, process.stderr),
        onProgress: (p) => {
          if (p.written === 0) return;
          window.first ??= [performance.now(), p.written];
          window.last = [performance.now(), p.written];
        },
      });
    } finally {
      done = true;
    }
    const busy = await during;
    const figures: ReembedFigures = {
      chunks: summary.embedded, embedder: o.double ? describeDouble(o.double) : 'hash',
      dimension, seconds: summary.seconds, indexSeconds: summary.indexSeconds,
      chunksPerSec: summary.embedded / Math.max(0.001, summary.seconds - summary.indexSeconds), passes: summary.passes,
      steadyChunksPerSec: window.first && window.last && window.last[0] > window.first[0] ? (window.last[1] - window.first[1]) / ((window.last[0] - window.first[0]) / 1000) : 0,
      search: { ...(summarize(idle.ms) ? { before: summarize(idle.ms)! } : {}), ...(summarize(busy.ms) ? { during: summarize(busy.ms)! } : {}), errors: idle.errors + busy.errors, short: idle.short + busy.short },
    };
    o.log(reembedLines(figures).join('\n'));
    return figures;
  } finally {
    await double?.close();
    await db?.close().catch(() => undefined);
    if (!o.keep) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

export function reembedLines(f: ReembedFigures): string[] {
  const ms = (s: LatencySummary | undefined) => (s ? `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${s.count} searches)` : 'none');
  return [
    `Re-embedding (era-ingest reembed, ${f.embedder}, ${f.dimension} dimensions)`,
    `  ${f.chunks} chunks in ${f.seconds.toFixed(1)} s (${f.passes} passes): ${Math.round(f.chunksPerSec)} chunks/s overall, ${Math.round(f.steadyChunksPerSec)} chunks/s from the first vector written to the last; then the HNSW index in ${f.indexSeconds.toFixed(1)} s`,
    `  search with the pipeline's model before: ${ms(f.search.before)}`,
    `  search during the re-embedding:         ${ms(f.search.during)}; errors ${f.search.errors}, short answers ${f.search.short}`,
  ];
}
