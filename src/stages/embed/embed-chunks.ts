/**
 * Embeds chunk texts the way every embedding consumer does (the embed stage, reembed): in
 * requests of `batchSize`, at most `limiter.limit` at once (AIMD: halved on 503s, timeouts and
 * queueing inside a server that answers one request at a time, grown while healthy), a failing
 * request bisected down to the one bad text, which alone fails.
 * An outage (retriable error) rejects the whole call, for the runtime to retry with backoff.
 */
import { PipelineError } from '../../errors/pipeline-error.ts';
import { embedWithBisect, type EmbedOutcome } from '../../embedding/embed-batch.ts';
import type { Embedder } from '../../embedding/types.ts';
import { AimdLimiter } from '../../flow-control/aimd-limiter.ts';

/**
 * How much slower per item than the server's own time a full request may be before it counts
 * as queued: on one Ollama (one request at a time) the limit settles near 2, one request served
 * while the next waits, so the server never idles between them (aimd-limiter.ts).
 */
const QUEUE_TOLERANCE = 2.5;

/** The concurrency limit of embedding requests: at most `max` (EMBED_CONCURRENCY), starting there. */
export function embedLimiter(max: number): AimdLimiter {
  return new AimdLimiter({ min: 1, max, initial: max, queueTolerance: QUEUE_TOLERANCE });
}

export interface ChunkEmbedderOptions {
  embedder: Embedder;
  limiter: AimdLimiter;
  /** Texts per embedding request. */
  batchSize: number;
  /** Observes every embedding request (metrics). */
  onRequest?: (outcome: 'ok' | 'overload' | 'error', seconds: number) => void;
  now?: () => number;
}

export interface ChunkText {
  chunkId: string;
  text: string;
}

export interface EmbeddedTexts {
  vectors: Map<string, Float32Array>;
  /** Chunks the embedder rejected as input (poison), by id. */
  failures: Map<string, PipelineError>;
}

/** Returns the function that embeds a list of chunks (duplicate ids are embedded once). */
export function chunkEmbedder({ embedder, limiter, batchSize, onRequest, now = Date.now }: ChunkEmbedderOptions): (chunks: readonly ChunkText[], signal: AbortSignal) => Promise<EmbeddedTexts> {
  const embedGroup = async (chunks: ChunkText[], signal: AbortSignal): Promise<EmbedOutcome[]> => {
    const release = await limiter.acquire(signal);
    const started = now();
    try {
      const outcomes = await embedWithBisect(embedder, chunks.map((c) => c.text), signal);
      limiter.onSuccess(now() - started, now(), started, chunks.length);
      onRequest?.('ok', (now() - started) / 1000);
      return outcomes;
    } catch (error) {
      const overload = error instanceof PipelineError && error.retriable;
      if (overload) limiter.onOverload(now(), started);
      onRequest?.(overload ? 'overload' : 'error', (now() - started) / 1000);
      throw error;
    } finally {
      release();
    }
  };

  return async (chunks, signal) => {
    const todo = [...new Map(chunks.map((c) => [c.chunkId, c])).values()];
    const groups: ChunkText[][] = [];
    for (let i = 0; i < todo.length; i += batchSize) groups.push(todo.slice(i, i + batchSize));
    const result: EmbeddedTexts = { vectors: new Map(), failures: new Map() };
    await Promise.all(groups.map(async (group) => {
      const outcomes = await embedGroup(group, signal);
      outcomes.forEach((outcome, i) => {
        const chunk = group[i]!;
        if (outcome.ok) result.vectors.set(chunk.chunkId, outcome.vector);
        else result.failures.set(chunk.chunkId, outcome.error);
      });
    }));
    return result;
  };
}
