/**
 * The embed stage: chunks → embedded chunks.
 *
 * - Unchanged content costs no embedding call: vectors already stored for the same chunk id
 *   and model are reused (`lookup`: the store, when there is one), and vectors embedded by this
 *   process recently are kept in a small cache, so a batch retried after an outage does not
 *   embed its successful part again.
 * - The rest is embedded by ./embed-chunks.ts (batched requests, AIMD concurrency, bisection to
 *   the one bad chunk, which alone is poison; an outage rejects the whole batch, which the
 *   runner retries with backoff).
 */
import { isRetriable, type PipelineError } from '../../errors/pipeline-error.ts';
import type { Embedder } from '../../embedding/types.ts';
import type { StageContext, StageObserver, Transform } from '../transform.ts';
import { lookupEmbeddings } from '../../storage/embedding-cache.ts';
import type { ChunkRecord, ChunksValue, EmbeddedChunk, EmbeddingsValue } from '../../topics/messages.ts';
import type { AimdLimiter } from '../../flow-control/aimd-limiter.ts';
import { chunkEmbedder, embedLimiter } from './embed-chunks.ts';
import { RecentVectors } from './recent-vectors.ts';

/** Stored vectors of `model` and `dimension` by chunk id. */
export type EmbeddingLookup = (chunkIds: string[], model: string, dimension: number) => Promise<Map<string, Float32Array>>;

export interface EmbedTransformOptions {
  embedder: Embedder;
  limiter: AimdLimiter;
  /** Chunks per embedding request. */
  batchSize: number;
  /**
   * Stored vectors by chunk id. Best effort: when it fails with a retriable error (the database
   * is unreachable) the batch is embedded without it, so a database outage stops only the
   * store stage, not embedding.
   */
  lookup?: EmbeddingLookup;
  observer?: StageObserver;
  now: () => number;
}

export function embedTransform({ embedder, limiter, batchSize, lookup, observer = {}, now }: EmbedTransformOptions): Transform<ChunksValue, EmbeddingsValue> {
  const recent = new RecentVectors(8192);
  const embedChunks = chunkEmbedder({
    embedder, limiter, batchSize, now,
    onRequest: (outcome, seconds) => {
      observer.embedRequest?.(outcome, seconds);
      observer.embedConcurrency?.(limiter.limit);
    },
  });

  return {
    batch: { size: batchSize * Math.max(1, limiter.limit) * 2, lingerMs: 5 },
    concurrency: 2,
    async process(batch, signal) {
      const chunks = batch.filter((v): v is ChunkRecord => v.kind === 'chunk');
      const vectors = new Map<string, Float32Array>();
      for (const c of chunks) {
        const hit = recent.get(c.chunkId, embedder.model);
        if (hit) vectors.set(c.chunkId, hit);
      }
      if (lookup) {
        const wanted = chunks.filter((c) => !vectors.has(c.chunkId)).map((c) => c.chunkId);
        try {
          if (wanted.length) for (const [id, v] of await lookup(wanted, embedder.model, embedder.dimension)) vectors.set(id, v);
        } catch (error) {
          if (!isRetriable(error)) throw error;
          observer.skipped?.(error as PipelineError);
        }
      }
      const reused = vectors.size;
      const { vectors: fresh, failures } = await embedChunks(chunks.filter((c) => !vectors.has(c.chunkId)), signal);
      for (const [id, vector] of fresh) {
        vectors.set(id, vector);
        recent.set(id, embedder.model, vector);
      }
      observer.embedded?.(fresh.size, reused);
      return batch.map((value): readonly EmbeddingsValue[] | PipelineError => {
        if (value.kind === 'delete') return [value];
        const failure = failures.get(value.chunkId);
        if (failure) return failure;
        const embedded: EmbeddedChunk = { ...value, embedding: vectors.get(value.chunkId)!, model: embedder.model };
        return [embedded];
      });
    },
  };
}

export async function createEmbedTransform({ config, resources, observer, now }: StageContext): Promise<Transform<ChunksValue, EmbeddingsValue>> {
  const db = await resources.optionalDatabase();
  return embedTransform({
    embedder: resources.embedder(),
    limiter: embedLimiter(config.embedConcurrency),
    batchSize: config.embedBatchSize,
    ...(db ? { lookup: (ids: string[], model: string, dimension: number) => lookupEmbeddings(db, ids, model, dimension) } : {}),
    observer,
    now,
  });
}
