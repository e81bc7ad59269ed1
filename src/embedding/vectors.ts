/**
 * Validation of an embedding server's answer before any vector leaves the embedder, shared by
 * every HTTP embedder: one embedding per input, each of the configured dimension, every
 * component a finite float32. Each embedder only finds the list of embeddings in its wire format
 * (Ollama's `embeddings`, OpenAI's `data[].embedding`) and hands it here.
 */
import { ConfigError, PipelineError } from '../errors/pipeline-error.ts';

export interface ExpectedVectors {
  /** Who answered, for messages: `ollama http://h:11434 (model all-minilm)`. */
  source: string;
  /** Number of inputs sent. */
  count: number;
  /** EMBED_DIM; `any`: whatever length the vectors share (a probe: ./dimension.ts). */
  dimension: number | 'any';
  /** Appended to the EMBED_DIM error: what else may explain another length. */
  dimensionHint?: string;
}

/**
 * Returns one Float32Array per input, in the order of `embeddings`.
 *
 * @throws ConfigError (CONFIG_INVALID) naming EMBED_DIM when every embedding has the same length
 *   other than `dimension`: the model does not produce EMBED_DIM-dimensional vectors, which no
 *   input can fix. The message says `returns N-dimensional vectors` (reembed reads N from it).
 * @throws PipelineError EMBEDDER_BAD_RESPONSE (non-retriable) when `embeddings` is not an array,
 *   on a wrong count, mixed lengths or a non-finite component (after conversion to float32).
 */
export function toVectors(embeddings: unknown, expected: ExpectedVectors): Float32Array[] {
  const where = expected.source;
  const bad = (what: string) => new PipelineError('EMBEDDER_BAD_RESPONSE', `${where}: ${what}`);
  if (!Array.isArray(embeddings)) throw bad('the answer has no list of embeddings');
  if (embeddings.length !== expected.count) throw bad(`returned ${embeddings.length} embeddings for ${expected.count} inputs`);
  const lengths = new Set(embeddings.map((e) => (Array.isArray(e) ? e.length : -1)));
  if (lengths.has(-1)) throw bad('an embedding is not an array');
  if (expected.dimension !== 'any' && lengths.size === 1 && !lengths.has(expected.dimension) && expected.count > 0) {
    const [actual] = lengths;
    throw new ConfigError(
      `EMBED_DIM=${expected.dimension} does not match ${where}, which returns ${String(actual)}-dimensional vectors. ` +
        `Set EMBED_DIM=${String(actual)} (and a vector(${String(actual)}) column), or use a ${expected.dimension}-dimensional model.` +
        (expected.dimensionHint ? ` ${expected.dimensionHint}` : ''),
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
