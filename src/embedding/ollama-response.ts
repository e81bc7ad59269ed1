/**
 * Validation of an `/api/embed` answer before any vector leaves the embedder: one embedding per
 * input, each of the configured dimension, every component a finite float32.
 */
import { ConfigError, PipelineError } from '../errors/pipeline-error.ts';

export interface ExpectedEmbeddings {
  host: string;
  model: string;
  count: number;
  /** The expected length of every vector; `any`: whatever length they share (a probe). */
  dimension: number | 'any';
}

/**
 * Returns one Float32Array per input, in input order.
 *
 * @throws ConfigError (CONFIG_INVALID) when every embedding has the same length other than
 *   `dimension`: the model does not produce EMBED_DIM-dimensional vectors, which no input can fix.
 * @throws PipelineError EMBEDDER_BAD_RESPONSE (non-retriable) on a wrong count, a non-array,
 *   mixed lengths or a non-finite component (after conversion to float32).
 */
export function toVectors(body: unknown, expected: ExpectedEmbeddings): Float32Array[] {
  const where = `ollama ${expected.host} (model ${expected.model})`;
  const bad = (what: string) => new PipelineError('EMBEDDER_BAD_RESPONSE', `${where}: ${what}`);
  const embeddings = (body as { embeddings?: unknown } | null)?.embeddings;
  if (!Array.isArray(embeddings)) throw bad('response has no "embeddings" array');
  if (embeddings.length !== expected.count) throw bad(`returned ${embeddings.length} embeddings for ${expected.count} inputs`);
  const lengths = new Set(embeddings.map((e) => (Array.isArray(e) ? e.length : -1)));
  if (lengths.has(-1)) throw bad('an embedding is not an array');
  if (expected.dimension !== 'any' && lengths.size === 1 && !lengths.has(expected.dimension) && expected.count > 0) {
    const [actual] = lengths;
    throw new ConfigError(
      `EMBED_DIM=${expected.dimension} does not match ${where}, which returns ${String(actual)}-dimensional vectors. ` +
        `Set EMBED_DIM=${String(actual)} (and a vector(${String(actual)}) column), or use a ${expected.dimension}-dimensional model.`,
    );
  }
  const dimension = expected.dimension === 'any' ? (embeddings[0] as unknown[] | undefined)?.length ?? 0 : expected.dimension;
  return embeddings.map((embedding: unknown[], i) => {
    if (embedding.length !== dimension) throw bad(`embedding ${i} has ${embedding.length} numbers, expected ${dimension}`);
    const out = new Float32Array(dimension);
    for (let j = 0; j < out.length; j++) {
      const value = embedding[j];
      if (typeof value !== 'number') throw bad(`embedding ${i}[${j}] is ${JSON.stringify(value)}, not a number`);
      out[j] = value;
      if (!Number.isFinite(out[j]!)) throw bad(`embedding ${i}[${j}] is ${value}, not a finite float32`);
    }
    return out;
  });
}
