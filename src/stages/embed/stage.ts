/**
 * The embed stage: `era.chunks` → `era.embeddings`.
 *
 * - Unchanged content costs no embedding call: vectors already stored for the same chunk id
 *   and model are reused (`lookup`, the database in Kafka mode), and vectors embedded by this
 *   process recently are kept in a small cache, so a batch retried after an outage does not
 *   embed its successful part again.
 * - The rest is embedded by ./embed-chunks.ts (batched requests, AIMD concurrency, bisection to
 *   the one bad chunk, which alone is dead-lettered; an outage fails the whole batch, which the
 *   runtime retries with backoff).
 */
import { isRetriable, type PipelineError } from '../../errors/pipeline-error.ts';
import type { Embedder } from '../../embedding/types.ts';
import type { AimdLimiter } from '../../flow-control/aimd-limiter.ts';
import type { DecodedInput, OutputRecord, StageDefinition } from '../../runtime/stage.ts';
import { outputHeaders } from '../../runtime/output-headers.ts';
import type { StageCodecs } from '../../topics/codec-async.ts';
import type { ChunkRecord, ChunksValue, EmbeddedChunk } from '../../topics/messages.ts';
import type { TopicNames } from '../../topics/names.ts';
import { STAGE_INPUTS } from '../inputs.ts';
import { chunkEmbedder } from './embed-chunks.ts';
import { RecentVectors } from './recent-vectors.ts';

/** Stored vectors of `model` and `dimension` by chunk id. */
export type EmbeddingLookup = (chunkIds: string[], model: string, dimension: number) => Promise<Map<string, Float32Array>>;

export interface EmbedStageOptions {
  topics: TopicNames;
  embedder: Embedder;
  limiter: AimdLimiter;
  /** Chunks per embedding request. */
  batchSize: number;
  /**
   * Stored vectors by chunk id (unchanged documents cost zero embedding calls). Best effort: when
   * the database is unreachable (a retriable error) the batch is embedded without it, so a
   * database outage stops only the store stage, not embedding.
   */
  lookup?: EmbeddingLookup;
  /** Called when `lookup` failed with a retriable error and was skipped (metrics). */
  onLookupSkipped?: (error: PipelineError) => void;
  /** Observes every embedding request (metrics). */
  onRequest?: (outcome: 'ok' | 'overload' | 'error', seconds: number, cached: number) => void;
  now?: () => number;
  codecs: Pick<StageCodecs, 'chunks' | 'embeddings'>;
}

export function embedStage({ topics, embedder, limiter, batchSize, lookup, onRequest, onLookupSkipped, now = Date.now, codecs }: EmbedStageOptions): StageDefinition<ChunksValue> {
  const recent = new RecentVectors(8192);
  const embedChunks = chunkEmbedder({ embedder, limiter, batchSize, now, ...(onRequest ? { onRequest } : {}) });

  return {
    name: 'embed',
    inputTopics: STAGE_INPUTS.embed,
    outputTopics: (t) => [t.embeddings],
    batch: { size: batchSize * Math.max(1, limiter.limit) * 2, lingerMs: 5 },
    concurrency: 2,
    decode: (message) => codecs.chunks.decode(message.value ?? Buffer.alloc(0)),
    async process(batch: ReadonlyArray<DecodedInput<ChunksValue>>, signal: AbortSignal) {
      const chunks = batch.map((b) => b.value).filter((v): v is ChunkRecord => v.kind === 'chunk');
      const vectors = new Map<string, Float32Array>();
      for (const c of chunks) {
        const hit = recent.get(c.chunkId, embedder.model);
        if (hit) vectors.set(c.chunkId, hit);
      }
      if (lookup) {
        const wanted = chunks.filter((c) => !vectors.has(c.chunkId)).map((c) => c.chunkId);
        let stored = new Map<string, Float32Array>();
        try {
          if (wanted.length) stored = await lookup(wanted, embedder.model, embedder.dimension);
        } catch (error) {
          if (!isRetriable(error)) throw error;
          onLookupSkipped?.(error as PipelineError);
        }
        for (const [id, v] of stored) vectors.set(id, v);
        onRequest?.('ok', 0, vectors.size);
      }
      const { vectors: fresh, failures } = await embedChunks(chunks.filter((c) => !vectors.has(c.chunkId)), signal);
      for (const [id, vector] of fresh) {
        vectors.set(id, vector);
        recent.set(id, embedder.model, vector);
      }
      return Promise.all(batch.map(async ({ message, value }): Promise<readonly OutputRecord[] | PipelineError> => {
        const headers = outputHeaders(message, value.jobId);
        if (value.kind === 'delete') return [{ topic: topics.embeddings, key: value.docId, value: await codecs.embeddings.encode(value), headers }];
        const failure = failures.get(value.chunkId);
        if (failure) return failure;
        const embedded: EmbeddedChunk = { ...value, embedding: vectors.get(value.chunkId)!, model: embedder.model };
        return [{ topic: topics.embeddings, key: value.docId, value: await codecs.embeddings.encode(embedded), headers }];
      }));
    },
    close: async () => embedder.close?.(),
  };
}
