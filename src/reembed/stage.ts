/**
 * The reembed consumer: `era.reembed` → `chunk_vectors` (one model's vector set), a transform
 * bound to the re-embedding topic by hand (it is not a stage of the dataflow: it has no output
 * stream).
 *
 * Records carry the model in the `era.reembed.model` header; records for another model (a
 * re-embedding with another model sharing the topic) are skipped. Chunks are embedded like the
 * embed stage does it (../stages/embed/embed-chunks.ts: batched, AIMD, the one bad chunk
 * bisected out and dead-lettered) and written in one statement per batch; the input offsets are
 * committed by the runner after that statement, so a crash re-embeds at most the uncommitted
 * batch.
 */
import type { Transform } from '../stages/transform.ts';
import { PipelineError } from '../errors/pipeline-error.ts';
import type { KafkaStageBinding } from '../kafka/stage-binding.ts';
import type { ChunkText, EmbeddedTexts } from '../stages/embed/embed-chunks.ts';
import { writeModelVectors } from '../storage/model-vectors.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import type { AsyncCodec } from '../topics/codec-async.ts';
import { REEMBED_MODEL_HEADER } from '../topics/headers.ts';
import type { ChunksValue } from '../topics/messages.ts';

/** A record of another model's re-embedding: nothing to do. */
export const OTHER_MODEL = Symbol('other model');

export type ReembedInput = ChunksValue | typeof OTHER_MODEL;

export interface ReembedStageOptions {
  model: string;
  client: SqlClient;
  embedChunks: (chunks: readonly ChunkText[], signal: AbortSignal) => Promise<EmbeddedTexts>;
  /** Inputs per batch. @defaultValue 256 */
  batchSize?: number;
  /** Called after every batch written, with the number of vectors written. */
  onWritten?: (written: number) => void;
}

export function reembedTransform({ model, client, embedChunks, batchSize = 256, onWritten }: ReembedStageOptions): Transform<ReembedInput, never> {
  return {
    batch: { size: batchSize, lingerMs: 20 },
    // Two batches at once: one embeds while the other is written (results stay in order).
    concurrency: 2,
    async process(batch, signal) {
      const chunks = batch.flatMap((value) => (value !== OTHER_MODEL && value.kind === 'chunk' ? [{ chunkId: value.chunkId, text: value.text }] : []));
      const { vectors, failures } = await embedChunks(chunks, signal);
      const rows = [...vectors].map(([chunkId, embedding]) => ({ chunkId, embedding }));
      const written = await writeModelVectors(client, model, rows);
      onWritten?.(written);
      return batch.map((value): readonly never[] | PipelineError => {
        if (value === OTHER_MODEL || value.kind !== 'chunk') return [];
        return failures.get(value.chunkId) ?? [];
      });
    },
  };
}

/** The transform bound to `topic`: only records of `model` are decoded; nothing is produced. */
export function reembedBinding(topic: string, model: string, codec: AsyncCodec<ChunksValue>, transform: Transform<ReembedInput, never>): KafkaStageBinding<ReembedInput, never> {
  return {
    name: 'reembed',
    inputTopics: [topic],
    transform,
    decode: async (message) => (message.headers[REEMBED_MODEL_HEADER] === model ? codec.decode(message.value ?? Buffer.alloc(0)) : OTHER_MODEL),
    encode: () => Promise.reject(new TypeError('the reembed consumer produces nothing')),
  };
}
