/**
 * The built-in deterministic embedder (DESIGN.md §6): feature hashing of words and character
 * 3-grams, L2-normalised. No model server, no I/O, the same text always gives the same vector.
 * It is lexical, not semantic: texts are close when they share words (and word pieces), not
 * when they mean the same thing.
 */
import { ConfigError } from '../errors/pipeline-error.ts';
import { abortedByCaller } from './aborted.ts';
import { accumulateFeatures } from './feature-hash.ts';
import type { Embedder } from './types.ts';

export interface HashEmbedderOptions {
  /** Vector length; must match the `chunks.embedding` column. Integer ≥ 2. */
  dimension: number;
  /**
   * Label recorded with every vector (`chunks.model`). It names the hashing scheme, so bump it
   * if the scheme changes. @defaultValue 'hash-v1'
   */
  model?: string;
}

/**
 * Creates the feature-hashing embedder.
 *
 * A text without any letter or digit (empty, whitespace, punctuation only) embeds to the fixed
 * unit vector whose components are all 1/√dimension, so the output is never NaN and all such
 * texts are identical to each other (and roughly orthogonal to real text, whose signed hashed
 * features average out against a constant vector).
 *
 * `embed` is synchronous work behind a promise (tens of µs per KB of text); it rejects with a
 * retriable PipelineError('SHUTDOWN') if `signal` is already aborted, and never otherwise.
 *
 * @throws ConfigError when `dimension` is not an integer ≥ 2 or `model` is empty.
 */
/** The hash embedder's dimension when neither EMBED_DIM nor a store says one (./dimension.ts). */
export const HASH_DEFAULT_DIMENSION = 384;

/** The label of hash vectors (chunks.model) unless another is given. */
export const DEFAULT_HASH_MODEL = 'hash-v1';

export function createHashEmbedder({ dimension, model = DEFAULT_HASH_MODEL }: HashEmbedderOptions): Embedder {
  if (!Number.isInteger(dimension) || dimension < 2) {
    throw new ConfigError(`hash embedder dimension=${String(dimension)} is invalid: use an integer ≥ 2 (EMBED_DIM, e.g. 384).`);
  }
  if (typeof model !== 'string' || model.length === 0) throw new ConfigError('hash embedder model label must be a non-empty string.');
  const empty = new Float32Array(dimension).fill(1 / Math.sqrt(dimension));

  const embedOne = (text: string): Float32Array => {
    const out = new Float32Array(dimension);
    accumulateFeatures(text, out);
    let sum = 0;
    for (let i = 0; i < dimension; i++) sum += out[i]! * out[i]!;
    // No tokens, or (vanishingly rare) features that cancelled out exactly.
    if (sum === 0) return empty.slice();
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < dimension; i++) out[i]! *= scale;
    return out;
  };

  return {
    model,
    dimension,
    kind: 'lexical',
    embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
      if (signal?.aborted) return Promise.reject(abortedByCaller(signal));
      try {
        return Promise.resolve(texts.map(embedOne));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
