/**
 * A small stage for runtime tests, bound to Kafka by hand: input `{ "id": "...", "n": 50,
 * "failTimes": 2, "delayMs": 5 }` becomes `n` outputs keyed by the input id, valued `${id}#${i}`.
 * `failTimes` makes its processing fail retriably that many times (counted per id) before
 * succeeding.
 */
import type { Transform } from '../../src/stages/transform.ts';
import { DependencyError, DecodeError, ValidationError } from '../../src/errors/pipeline-error.ts';
import type { KafkaStageBinding } from '../../src/kafka/stage-binding.ts';
import { carriedHeaders } from '../../src/topics/headers.ts';

export interface FanoutInput {
  id: string;
  n: number;
  failTimes?: number;
  delayMs?: number;
}

export interface FanoutOutput {
  id: string;
  i: number;
}

export interface FanoutStageOptions {
  input: string;
  output: string;
  batchSize?: number;
  /** Called for every input processed successfully (counts processing, for redelivery checks). */
  onProcessed?: (id: string) => void;
}

export function fanoutTransform({ batchSize = 8, onProcessed }: Pick<FanoutStageOptions, 'batchSize' | 'onProcessed'> = {}): Transform<FanoutInput, FanoutOutput> {
  const failures = new Map<string, number>();
  return {
    batch: { size: batchSize, lingerMs: 5 },
    concurrency: 2,
    async process(batch) {
      for (const value of batch) {
        const failed = failures.get(value.id) ?? 0;
        if (failed < (value.failTimes ?? 0)) {
          failures.set(value.id, failed + 1);
          throw new DependencyError('fake-dependency', `failure ${failed + 1} of ${value.failTimes}`);
        }
      }
      const delay = Math.max(0, ...batch.map((b) => b.delayMs ?? 0));
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return batch.map((value) => {
        onProcessed?.(value.id);
        return Array.from({ length: value.n }, (_, i) => ({ id: value.id, i }));
      });
    },
  };
}

export function fanoutStage({ input, output, ...options }: FanoutStageOptions): KafkaStageBinding<FanoutInput, FanoutOutput> {
  return {
    name: 'fanout',
    inputTopics: [input],
    transform: fanoutTransform(options),
    async decode(message) {
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
    encode: async (out, message) => ({ topic: output, key: out.id, value: Buffer.from(`${out.id}#${out.i}`), headers: carriedHeaders(message.headers) }),
  };
}
