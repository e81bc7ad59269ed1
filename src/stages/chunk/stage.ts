/**
 * The chunk stage: raw documents → chunks. A document becomes its chunks (./transform.ts); a
 * tombstone becomes a delete that flows through every later stage to the store. A document
 * the chunker refuses is poison for that input alone.
 */
import { PRESETS } from '../../config/presets.ts';
import { PipelineError } from '../../errors/pipeline-error.ts';
import type { StageContext, Transform } from '../transform.ts';
import type { ChunksValue, RawEntry } from '../../topics/messages.ts';
import type { ChunkerOptions } from './options.ts';
import { chunkDocument, deleteRecord } from './transform.ts';

function chunkEntry(entry: RawEntry, options: ChunkerOptions): ChunksValue[] {
  if (entry.doc === null) return [deleteRecord(entry.docId, entry.version, entry.jobId)];
  const doc = entry.jobId !== undefined ? { ...entry.doc, jobId: entry.jobId } : entry.doc;
  return chunkDocument(doc, { version: entry.version }, options);
}

export function chunkTransform(options: ChunkerOptions, batchSize = 16): Transform<RawEntry, ChunksValue> {
  return {
    batch: { size: batchSize, lingerMs: 2 },
    concurrency: 1,
    async process(batch) {
      return batch.map((entry) => {
        try {
          return chunkEntry(entry, options);
        } catch (error) {
          if (error instanceof PipelineError && !error.retriable) return error;
          throw error;
        }
      });
    },
  };
}

export async function createChunkTransform({ config }: StageContext): Promise<Transform<RawEntry, ChunksValue>> {
  return chunkTransform({ maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap }, PRESETS[config.profile].chunkBatchSize);
}
