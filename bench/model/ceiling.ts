/**
 * The model's own throughput, the ceiling the pipeline is held against: batches of chunk texts
 * (the bench corpus cut by the configured chunker, new texts for every level) sent straight to
 * /api/embed through the product's Ollama client, `c` requests at once for c in MODEL_LEVELS,
 * the same number of batches at every level. The number is calibrated first (one batch alone to
 * load the model, then one round at the highest level) to give every level ≥ 15 s.
 *
 * Each level waits for a quiet machine (`quiet`) and runs again, up to `retries` times, when
 * other work used more than NOISY_CORES meanwhile; the quietest attempt is kept. The model
 * server's CPU is read from /proc when it runs here. Throws when a request fails: a ceiling
 * measured through errors is no ceiling.
 */
import { cpus } from 'node:os';
import { createOllamaEmbedder } from '../../src/embedding/ollama-embedder.ts';
import type { Embedder } from '../../src/embedding/types.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import { benchDocument } from '../lib/corpus.ts';
import { batchesPerLevel, bestLevel, MODEL_LEVEL_SECONDS, MODEL_LEVELS } from '../lib/model.ts';
import { readMachineCpu } from '../lib/proc.ts';
import { NOISY_CORES } from '../lib/targets.ts';
import type { ModelCeiling, ModelCeilingLevel, ModelServer } from '../lib/types.ts';
import { hostsOf, ModelServerCpu } from './server.ts';

export interface ModelCeilingOptions {
  server: ModelServer;
  /** Texts per request (EMBED_BATCH_SIZE of the pipeline runs). */
  batchSize: number;
  chunker: { maxTokens: number; overlapTokens: number };
  /** Makes the texts this run's own (the run id). */
  tag: string;
  /** Batches per level; undefined = calibrated for ≥ 15 s a level. */
  batches?: number;
  levels?: readonly number[];
  retries: number;
  /** Waits for a quiet machine; returns a note on how busy it was. */
  quiet: () => Promise<string | undefined>;
  log: (message: string) => void;
}

/** `count` batches of `size` chunk texts, from documents no other level or run uses. */
function batchesOf(tag: string, count: number, size: number, chunker: ModelCeilingOptions['chunker']): { batches: string[][]; tokens: number[] } {
  const texts: string[] = [];
  const tokens: number[] = [];
  for (let i = 0; texts.length < count * size; i++) {
    for (const c of chunkDocument(benchDocument(i, { tag }), { version: 1 }, chunker)) {
      texts.push(c.text);
      tokens.push(c.tokenCount);
    }
  }
  return { batches: Array.from({ length: count }, (_, b) => texts.slice(b * size, (b + 1) * size)), tokens: tokens.slice(0, count * size) };
}

/** Sends `batches` with `concurrency` requests at once; wall time and the mean request time, ms. */
async function embedAll(embedder: Embedder, batches: readonly string[][], concurrency: number): Promise<{ ms: number; meanRequestMs: number }> {
  let next = 0;
  let requestMs = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const t = performance.now();
      await embedder.embed(batch);
      requestMs += performance.now() - t;
    }
  }));
  return { ms: performance.now() - started, meanRequestMs: requestMs / Math.max(1, batches.length) };
}

async function measureLevel(embedder: Embedder, server: ModelServer, batches: readonly string[][], concurrency: number): Promise<ModelCeilingLevel> {
  const cpu = new ModelServerCpu(server.host);
  cpu.open();
  const machine = readMachineCpu();
  const self = process.cpuUsage();
  const { ms, meanRequestMs } = await embedAll(embedder, batches, concurrency);
  const seconds = ms / 1000;
  const serverSeconds = cpu.close();
  const after = readMachineCpu();
  const selfUsage = process.cpuUsage(self);
  const chunks = batches.reduce((s, b) => s + b.length, 0);
  const level: ModelCeilingLevel = { concurrency, batches: batches.length, chunks, seconds, chunksPerSec: chunks / seconds, meanRequestMs };
  if (after.total > machine.total) {
    level.machineCpuBusy = (after.busy - machine.busy) / (after.total - machine.total);
    if (serverSeconds !== undefined) level.serverCores = serverSeconds / seconds;
    const selfCores = (selfUsage.user + selfUsage.system) / 1e6 / seconds;
    level.otherCpuCores = Math.max(0, level.machineCpuBusy * cpus().length - (level.serverCores ?? 0) - selfCores);
  }
  return level;
}

export async function measureModelCeiling(o: ModelCeilingOptions): Promise<ModelCeiling> {
  const levels = o.levels ?? MODEL_LEVELS;
  const top = Math.max(...levels);
  const notes: string[] = [];
  const embedder = createOllamaEmbedder({ hosts: hostsOf(o.server.host), model: o.server.model, dimension: o.server.dimension, timeoutMs: 300_000, keepAlive: '5m' });
  try {
    let batches = o.batches;
    if (batches === undefined) {
      const note = await o.quiet();
      const { batches: warm } = batchesOf(`${o.tag}-calibrate`, 1 + top, o.batchSize, o.chunker);
      await embedAll(embedder, warm.slice(0, 1), 1);
      const round = await embedAll(embedder, warm.slice(1), top);
      const chunksPerSec = (top * o.batchSize * 1000) / round.ms;
      batches = batchesPerLevel(chunksPerSec, o.batchSize, MODEL_LEVEL_SECONDS, top);
      notes.push(`calibration: one round of ${top} batches at once took ${(round.ms / 1000).toFixed(1)} s (${chunksPerSec.toFixed(1)} chunks/s): ${batches} batches a level${note ? `; ${note}` : ''}`);
    } else {
      notes.push(`${batches} batches a level (--model-batches)`);
    }
    o.log(`model ceiling: ${batches} batches of ${o.batchSize} per level, concurrency ${levels.join(', ')}`);
    const measured: ModelCeilingLevel[] = [];
    let tokens: number[] = [];
    for (const c of levels) {
      let kept: ModelCeilingLevel | undefined;
      for (let attempt = 0; attempt <= o.retries; attempt++) {
        const note = await o.quiet();
        const texts = batchesOf(`${o.tag}-c${c}-a${attempt}`, batches, o.batchSize, o.chunker);
        tokens = texts.tokens;
        const level = await measureLevel(embedder, o.server, texts.batches, c);
        o.log(`model ceiling: concurrency ${c}: ${level.chunksPerSec.toFixed(1)} chunks/s in ${level.seconds.toFixed(1)} s, ${level.meanRequestMs.toFixed(0)} ms a request${level.serverCores !== undefined ? `, server ${level.serverCores.toFixed(2)} cores` : ''}${level.otherCpuCores !== undefined ? `, other work ${level.otherCpuCores.toFixed(2)} cores` : ''}${note ? ` (${note})` : ''}`);
        if (!kept || (level.otherCpuCores ?? 0) < (kept.otherCpuCores ?? 0)) kept = level;
        if ((level.otherCpuCores ?? 0) <= NOISY_CORES) break;
      }
      measured.push(kept!);
      if (kept!.seconds < MODEL_LEVEL_SECONDS) notes.push(`concurrency ${c} ran ${kept!.seconds.toFixed(1)} s, under ${MODEL_LEVEL_SECONDS} s: give more --model-batches`);
      if ((kept!.otherCpuCores ?? 0) > NOISY_CORES) notes.push(`concurrency ${c}: other work used ${kept!.otherCpuCores!.toFixed(2)} cores meanwhile (its figure is pessimistic)`);
    }
    if (measured.every((l) => l.serverCores === undefined)) notes.push('the model server runs elsewhere (or its process is not visible): its CPU is not measured');
    const meanChunkTokens = tokens.reduce((s, t) => s + t, 0) / Math.max(1, tokens.length);
    return { server: o.server, batchSize: o.batchSize, meanChunkTokens, levels: measured, best: bestLevel(measured)!, notes };
  } finally {
    await embedder.close?.();
  }
}
