/**
 * A small stage for runtime tests: input `{ "id": "...", "n": 50, "failTimes": 2, "delayMs": 5 }`
 * becomes `n` outputs keyed by the input id, valued `${id}#${i}`. `failTimes` makes its
 * processing fail retriably that many times (counted per id) before succeeding.
 */
import { DependencyError, DecodeError, ValidationError } from '../../src/errors/pipeline-error.ts';
import type { DecodedInput, InputMessage, OutputRecord, StageDefinition } from '../../src/runtime/stage.ts';
import { carriedHeaders } from '../../src/topics/headers.ts';

export interface FanoutInput {
  id: string;
  n: number;
  failTimes?: number;
  delayMs?: number;
}

export interface FanoutStageOptions {
  input: string;
  output: string;
  batchSize?: number;
  /** Called for every input processed successfully (counts processing, for redelivery checks). */
  onProcessed?: (id: string) => void;
}

export function fanoutStage({ input, output, batchSize = 8, onProcessed }: FanoutStageOptions): StageDefinition<FanoutInput> {
  const failures = new Map<string, number>();
  return {
    name: 'fanout',
    inputTopics: () => [input],
    outputTopics: () => [output],
    batch: { size: batchSize, lingerMs: 5 },
    concurrency: 2,
    decode(message: InputMessage): FanoutInput {
      let value: unknown;
      try {
        value = JSON.parse(message.value?.toString('utf8') ?? 'null');
      } catch (error) {
        throw new DecodeError('value is not JSON', error);
      }
      const v = value as FanoutInput;
      if (typeof v?.id !== 'string' || typeof v.n !== 'number') throw new ValidationError('invalid fanout input', ['id and n are required']);
      return v;
    },
    async process(batch: ReadonlyArray<DecodedInput<FanoutInput>>): Promise<Array<readonly OutputRecord[]>> {
      for (const { value } of batch) {
        const failed = failures.get(value.id) ?? 0;
        if (failed < (value.failTimes ?? 0)) {
          failures.set(value.id, failed + 1);
          throw new DependencyError('fake-dependency', `failure ${failed + 1} of ${value.failTimes}`);
        }
      }
      const delay = Math.max(0, ...batch.map((b) => b.value.delayMs ?? 0));
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return batch.map(({ message, value }) => {
        onProcessed?.(value.id);
        return Array.from({ length: value.n }, (_, i) => ({ topic: output, key: value.id, value: Buffer.from(`${value.id}#${i}`), headers: carriedHeaders(message.headers) }));
      });
    },
  };
}
