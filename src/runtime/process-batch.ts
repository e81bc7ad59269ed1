/**
 * Runs a stage's `process` on a batch of consumed records and turns every input into a
 * StageResult: outputs, or poison for the DLQ. Retriable failures are retried with backoff
 * (the batch stays in flight, upstream buffers fill and the source pauses its partitions);
 * they never become poison. A non-retriable failure of the whole batch is isolated by
 * processing the inputs one by one.
 */
import { PipelineError, toPipelineError } from '../errors/pipeline-error.ts';
import { retry, type RetryHooks, type RetryPolicy } from './backoff.ts';
import type { DecodedInput, InputMessage, OutputRecord, StageDefinition, StageResult } from './stage.ts';

export interface ProcessBatchOptions {
  retryPolicy: RetryPolicy;
  hooks: RetryHooks & { signal: AbortSignal };
}

/** Failures that no input causes and no retry fixes: the stage halts instead of dead-lettering. */
const isFatal = (error: unknown): boolean => error instanceof PipelineError && (error.retriable || error.code === 'SHUTDOWN' || error.code === 'CONFIG_INVALID');

const poison = (input: InputMessage, error: unknown, attempts: number): StageResult => ({ input, outputs: [], poison: toPipelineError(error), attempts });

export async function processBatch<T>(stage: StageDefinition<T>, inputs: readonly InputMessage[], { retryPolicy, hooks }: ProcessBatchOptions): Promise<StageResult[]> {
  const results: StageResult[] = new Array(inputs.length);
  const decoded: DecodedInput<T>[] = [];
  const positions: number[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const message = inputs[i]!;
    try {
      decoded.push({ message, value: (await retry(async () => stage.decode(message), retryPolicy, hooks)).value });
      positions.push(i);
    } catch (error) {
      if (isFatal(error)) throw error;
      results[i] = poison(message, error, 1);
    }
  }

  const run = async (items: DecodedInput<T>[], at: number[]): Promise<void> => {
    const { value, attempts } = await retry(() => stage.process(items, hooks.signal), retryPolicy, hooks);
    if (value.length !== items.length) {
      throw new TypeError(`stage ${stage.name} returned ${value.length} results for ${items.length} inputs`);
    }
    value.forEach((outcome: readonly OutputRecord[] | PipelineError, j) => {
      const input = items[j]!.message;
      results[at[j]!] = outcome instanceof PipelineError ? poison(input, outcome, attempts) : { input, outputs: outcome };
    });
  };

  if (decoded.length) {
    try {
      await run(decoded, positions);
    } catch (error) {
      if (isFatal(error)) throw error;
      if (decoded.length === 1) {
        results[positions[0]!] = poison(decoded[0]!.message, error, 1);
      } else {
        for (let j = 0; j < decoded.length; j++) {
          try {
            await run([decoded[j]!], [positions[j]!]);
          } catch (single) {
            if (isFatal(single)) throw single;
            results[positions[j]!] = poison(decoded[j]!.message, single, 1);
          }
        }
      }
    }
  }
  return results;
}
