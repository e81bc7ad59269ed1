/**
 * An embedder turns texts into vectors of a fixed dimension, in input order.
 *
 * Errors: a failure that may pass (server down, 503, 5xx, timeout) throws a retriable
 * DependencyError; a failure caused by the input itself (rejected input, bad response for it)
 * throws a non-retriable PipelineError (EMBEDDER_REJECTED_INPUT / EMBEDDER_BAD_RESPONSE), which
 * the embed stage bisects down to the one bad text and dead-letters.
 */
export interface Embedder {
  /** Model name recorded with every vector (chunks.model). */
  readonly model: string;
  readonly dimension: number;
  /** `lexical` (feature hashing: matches words, not meaning) or `semantic` (a model). */
  readonly kind: 'lexical' | 'semantic';
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  close?(): Promise<void>;
}
