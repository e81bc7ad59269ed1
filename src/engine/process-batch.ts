/**
 * Runs a transform on a batch of inputs and turns every input into an Outcome: outputs, or
 * poison for the dead letters. Shared by both runners, so they classify failures alike:
 * - a retriable failure (a dependency is down) is retried with jittered backoff, for as long
 *   as the retry policy allows; the batch stays in flight meanwhile (the Kafka source pauses
 *   its partitions). It never becomes poison; past the policy's deadline it halts the runner;
 * - a non-retriable failure of decoding, or the transform's own per-input error, is poison for
 *   that input alone;
 * - a non-retriable rejection of the whole batch is isolated by processing the inputs one by
 *   one (the transform cannot say which input caused it);
 * - SHUTDOWN and CONFIG_INVALID are no input's fault: they halt the runner.
 */
import { PipelineError, toPipelineError } from '../errors/pipeline-error.ts';
import type { RetryPolicy } from '../config/retry-policy.ts';
import { retry, type RetryHooks } from './backoff.ts';
import type { Outcome } from './outcome.ts';

/** What processBatch needs of a transform (src/stages/transform.ts states the whole contract). */
export interface BatchProcessor<In, Out> {
  process(batch: readonly In[], signal: AbortSignal): Promise<ReadonlyArray<readonly Out[] | PipelineError>>;
}

export interface ProcessBatchOptions<M, In> {
  /** The transform's input from what the runner tracks; throws a non-retriable PipelineError for poison. */
  decode: (input: M) => In | Promise<In>;
  retryPolicy: RetryPolicy;
  hooks: RetryHooks & { signal: AbortSignal };
}

/** Failures that no input causes and no retry fixes: the runner halts instead of dead-lettering. */
export const isFatal = (error: unknown): boolean => error instanceof PipelineError && (error.retriable || error.code === 'SHUTDOWN' || error.code === 'CONFIG_INVALID');

const poison = <M, Out>(input: M, error: unknown, attempts: number): Outcome<M, Out> => ({ input, outputs: [], poison: toPipelineError(error), attempts });

export async function processBatch<M, In, Out>(transform: BatchProcessor<In, Out>, inputs: readonly M[], { decode, retryPolicy, hooks }: ProcessBatchOptions<M, In>): Promise<Outcome<M, Out>[]> {
  const results: Outcome<M, Out>[] = new Array(inputs.length);
  const decoded: Array<{ input: M; value: In }> = [];
  const positions: number[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    try {
      decoded.push({ input, value: (await retry(async () => decode(input), retryPolicy, hooks)).value });
      positions.push(i);
    } catch (error) {
      if (isFatal(error)) throw error;
      results[i] = poison(input, error, 1);
    }
  }

  const run = async (items: typeof decoded, at: number[]): Promise<void> => {
    const { value, attempts } = await retry(() => transform.process(items.map((d) => d.value), hooks.signal), retryPolicy, hooks);
    if (value.length !== items.length) throw new TypeError(`a transform returned ${value.length} results for ${items.length} inputs`);
    value.forEach((outcome, j) => {
      const input = items[j]!.input;
      results[at[j]!] = outcome instanceof PipelineError ? poison(input, outcome, attempts) : { input, outputs: outcome };
    });
  };

  if (decoded.length) {
    try {
      await run(decoded, positions);
    } catch (error) {
      if (isFatal(error)) throw error;
      if (decoded.length === 1) {
        results[positions[0]!] = poison(decoded[0]!.input, error, 1);
      } else {
        for (let j = 0; j < decoded.length; j++) {
          try {
            await run([decoded[j]!], [positions[j]!]);
          } catch (single) {
            if (isFatal(single)) throw single;
            results[positions[j]!] = poison(decoded[j]!.input, single, 1);
          }
        }
      }
    }
  }
  return results;
}
