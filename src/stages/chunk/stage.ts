/**
 * The chunk stage: `era.raw.priority` and `era.raw` → `era.chunks`. Decoding validates the raw
 * contract (poison → DLQ); the pure `chunkDocument` does the work; a tombstone becomes a delete
 * record that flows through every stage to the store.
 */
import type { DecodedInput, OutputRecord, StageDefinition } from '../../runtime/stage.ts';
import { outputHeaders } from '../../runtime/output-headers.ts';
import type { StageCodecs } from '../../topics/codec-async.ts';
import { decodeRaw } from '../../topics/codec-async.ts';
import { HEADERS } from '../../topics/headers.ts';
import type { RawDocument } from '../../topics/messages.ts';
import type { TopicNames } from '../../topics/names.ts';
import { STAGE_INPUTS } from '../inputs.ts';
import type { RawLimits } from '../../topics/raw-document.ts';
import type { ChunkerOptions } from './options.ts';
import { chunkDocument, deleteRecord } from './transform.ts';

export interface ChunkStageOptions {
  topics: TopicNames;
  chunker: ChunkerOptions;
  limits: RawLimits;
  codecs: Pick<StageCodecs, 'raw' | 'chunks'>;
}

/** A raw input: the document, or null for a tombstone (with the document id from the key). */
export interface RawInput {
  doc: RawDocument | null;
  key: string;
}

export function chunkStage({ topics, chunker, limits, codecs }: ChunkStageOptions): StageDefinition<RawInput> {
  return {
    name: 'chunk',
    inputTopics: STAGE_INPUTS.chunk,
    outputTopics: (t) => [t.chunks],
    batch: { size: 16, lingerMs: 2 },
    concurrency: 1,
    async decode(message) {
      const doc = await decodeRaw(codecs.raw, message.key, message.value, limits);
      return { doc, key: doc?.id ?? message.key!.toString('utf8') };
    },
    async process(batch: ReadonlyArray<DecodedInput<RawInput>>) {
      return Promise.all(batch.map(async ({ message, value }): Promise<OutputRecord[]> => {
        const headers = outputHeaders(message, value.doc?.jobId);
        const version = Number(headers[HEADERS.publishedAt]);
        const jobId = value.doc?.jobId ?? headers[HEADERS.job];
        if (value.doc === null) {
          return [{ topic: topics.chunks, key: value.key, value: await codecs.chunks.encode(deleteRecord(value.key, version, jobId)), headers }];
        }
        const doc = jobId !== undefined ? { ...value.doc, jobId } : value.doc;
        return Promise.all(chunkDocument(doc, { version }, chunker).map(async (chunk) => ({ topic: topics.chunks, key: value.key, value: await codecs.chunks.encode(chunk), headers })));
      }));
    },
  };
}
