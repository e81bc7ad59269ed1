/**
 * Embeds a batch and, when the batch fails because of its inputs, finds exactly which inputs:
 * the failed batch is split in halves recursively until every failing input stands alone
 * (DESIGN.md §2.3, §6). One bad input among n costs about 2·log2(n) extra calls; k bad inputs
 * about 2·k·log2(n/k); all bad, 2n − 1 calls in total.
 */
import { PipelineError, type ErrorCode } from '../errors/pipeline-error.ts';
import type { Embedder } from './types.ts';

/** The outcome for one input: its vector, or the error that makes it poison. */
export type EmbedOutcome = { ok: true; vector: Float32Array } | { ok: false; error: PipelineError };

/**
 * Codes that blame the inputs of a request, so bisecting can find the culprit. Other
 * non-retriable errors (CONFIG_INVALID: model missing or wrong dimension; INTERNAL; programmer
 * errors) are the same for every input: bisecting would only dead-letter the whole batch one
 * input at a time, so they are rethrown for the stage to halt on.
 */
export const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['EMBEDDER_REJECTED_INPUT', 'EMBEDDER_BAD_RESPONSE']);

/** True when `error` is a non-retriable failure that some input of the request caused. */
export function isInputError(error: unknown): error is PipelineError {
  return error instanceof PipelineError && !error.retriable && INPUT_ERROR_CODES.has(error.code);
}

/**
 * Embeds `texts` with `embedder`, isolating bad inputs.
 *
 * Resolves to one outcome per text, in order: `ok: false` only for the inputs that fail on their
 * own with an input error (see {@link isInputError}). Halves are tried one after the other, never
 * in parallel, so bisecting does not add load on the embedder.
 *
 * @throws the embedder's error, unchanged, when it is anything but an input error — retriable
 *   failures (outage, 503, timeout, SHUTDOWN) at any depth of the bisection, so the caller
 *   retries the whole batch with backoff and nothing is dead-lettered during an outage; and
 *   configuration or internal errors, which no input can cause.
 */
export async function embedWithBisect(embedder: Embedder, texts: readonly string[], signal?: AbortSignal): Promise<EmbedOutcome[]> {
  const outcomes = new Array<EmbedOutcome>(texts.length);

  async function run(start: number, end: number): Promise<void> {
    let vectors: Float32Array[];
    try {
      vectors = await embedder.embed(texts.slice(start, end), signal);
      if (vectors.length !== end - start) {
        throw new PipelineError('EMBEDDER_BAD_RESPONSE', `embedder ${embedder.model} returned ${vectors.length} vectors for ${end - start} texts`);
      }
    } catch (error) {
      if (!isInputError(error)) throw error;
      if (end - start === 1) {
        outcomes[start] = { ok: false, error };
        return;
      }
      const middle = start + Math.ceil((end - start) / 2);
      await run(start, middle);
      await run(middle, end);
      return;
    }
    for (let i = 0; i < vectors.length; i++) outcomes[start + i] = { ok: true, vector: vectors[i]! };
  }

  if (texts.length > 0) await run(0, texts.length);
  return outcomes;
}
