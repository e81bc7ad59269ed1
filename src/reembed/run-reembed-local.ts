/**
 * `era-ingest reembed --model <m>` on an embedded store (PGlite in --data-dir, no Kafka): the
 * same work as the Kafka path (./run-reembed.ts) in one process — page through the current
 * chunks without an m vector, embed them like the embed stage, write the set, build its index,
 * mark it ready. Search keeps answering from chunks.embedding meanwhile. A chunk the model
 * rejects is reported in the summary (there is no DLQ topic here) and keeps the set building.
 */
import type { Config } from '../config/schema.ts';
import { PipelineError } from '../errors/pipeline-error.ts';
import { retryPolicyFor } from '../config/presets.ts';
import { retry } from '../engine/backoff.ts';
import { settleDimension } from '../embedding/dimension.ts';
import { chunkEmbedder, embedLimiter } from '../stages/embed/embed-chunks.ts';
import { chunksToEmbed, copyStoredVectors, getModel, registerModel, writeModelVectors } from '../storage/model-vectors.ts';
import { chunkCount } from '../storage/search.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { completeSet } from './complete-set.ts';
import { modelEmbedder, probeModel } from './model-embedder.ts';
import type { ReembedProgress, ReembedSummary } from './run-reembed.ts';

export interface LocalReembedOptions {
  client: SqlClient;
  config: Config;
  model: string;
  dimension?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ReembedProgress) => void;
  /** Chunks read and embedded per step. @defaultValue 256 */
  pageSize?: number;
}

export const IN_PROCESS = 'in-process';

export async function runReembedLocal({ client, config, model, signal, onProgress, pageSize = 256, ...options }: LocalReembedOptions): Promise<ReembedSummary> {
  const started = Date.now();
  const policy = { ...retryPolicyFor(config), maxAttempts: 8 };
  // A model without a set and without --dim is asked for its dimension.
  const dimension = options.dimension ?? (await getModel(client, model))?.dimension ??
    (await settleDimension({ ...config, embedModel: model, embedDim: undefined }, { retry: async (attempt) => (await retry(attempt, policy, signal ? { signal } : {})).value, ...(signal ? { signal } : {}) }));
  const embedder = modelEmbedder(config, model, dimension);
  const rejected = new Map<string, string>();
  const summary: ReembedSummary = {
    model, dimension, consumerGroup: IN_PROCESS, topic: '', state: 'building', passes: 0, chunks: 0, published: 0,
    embedded: 0, copied: 0, failed: [], index: null, indexSeconds: 0, seconds: 0, interrupted: false, rejected: [],
  };
  const abort = signal ?? new AbortController().signal;
  try {
    await probeModel(embedder, dimension, policy, { signal: abort });
    summary.state = (await registerModel(client, model, dimension, IN_PROCESS)).state;
    summary.chunks = await chunkCount(client);
    const embedChunks = chunkEmbedder({ embedder, limiter: embedLimiter(config.embedConcurrency), batchSize: config.embedBatchSize });
    const progress = (): void => onProgress?.({ pass: summary.passes, total: summary.chunks, published: summary.published, written: summary.embedded + summary.copied, failed: rejected.size });
    // A second pass finds what was stored while the first ran (nothing, unless another process writes).
    for (;;) {
      summary.passes += 1;
      summary.copied += await copyStoredVectors(client, model, dimension);
      let found = 0;
      for (let after = ''; ;) {
        if (abort.aborted) throw new PipelineError('SHUTDOWN', 'interrupted');
        const page = await chunksToEmbed(client, model, { after, limit: pageSize, exclude: [...rejected.keys()] });
        if (page.length === 0) break;
        after = page[page.length - 1]!.chunkId;
        found += page.length;
        summary.published += page.length;
        const { vectors, failures } = (await retry(() => embedChunks(page, abort), retryPolicyFor(config), { signal: abort })).value;
        for (const [id, error] of failures) rejected.set(id, `${error.code}: ${error.message}`);
        summary.embedded += await writeModelVectors(client, model, [...vectors].map(([chunkId, embedding]) => ({ chunkId, embedding })));
        progress();
      }
      if (found === 0) break;
    }
    if (rejected.size === 0) await completeSet(client, config, summary);
  } catch (error) {
    if (!abort.aborted) throw error; // an abort surfaces as SHUTDOWN or as the limiter's AbortError
    summary.interrupted = true;
  } finally {
    await embedder.close?.();
    summary.failed = [...rejected.keys()];
    summary.rejected = [...rejected].map(([chunkId, reason]) => ({ chunkId, reason }));
    summary.seconds = (Date.now() - started) / 1000;
  }
  return summary;
}
