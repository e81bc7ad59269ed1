/**
 * The embed stage's stored-vector lookup is best effort: a database outage must not stop
 * embedding (only the store stage needs the database), while a real SQL error is not hidden.
 */
import { describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { DependencyError, type PipelineError } from '../../../src/errors/pipeline-error.ts';
import { AimdLimiter } from '../../../src/flow-control/aimd-limiter.ts';
import type { DecodedInput, InputMessage, OutputRecord } from '../../../src/runtime/stage.ts';
import type { Ticket } from '../../../src/runtime/offset-tracker.ts';
import { embedStage } from '../../../src/stages/embed/stage.ts';
import { SqlError } from '../../../src/storage/errors.ts';
import { codecsFor } from '../../../src/topics/codec-async.ts';
import { embeddingsCodec } from '../../../src/topics/codec-json.ts';
import type { ChunkRecord, ChunksValue, EmbeddedChunk } from '../../../src/topics/messages.ts';
import { topicNames } from '../../../src/topics/names.ts';

const chunk = (seq: number): ChunkRecord => ({
  kind: 'chunk', docId: 'doc-1', version: 1, contentHash: 'h', chunkId: `c-${seq}`, seq, count: 3,
  text: `The treasury cut the deficit, part ${seq}.`, tokenCount: 9, headingPath: [],
});
const input = (value: ChunksValue, offset: number): DecodedInput<ChunksValue> => ({
  value,
  message: { topic: 'era.chunks', partition: 0, offset: String(offset), key: null, value: null, headers: {}, timestamp: '1', ticket: {} as Ticket } satisfies InputMessage,
});

async function stageWith(lookup: () => Promise<Map<string, Float32Array>>, skipped: PipelineError[]) {
  const embedder = createHashEmbedder({ dimension: 16 });
  return embedStage({
    topics: topicNames(), embedder, limiter: new AimdLimiter({ min: 1, max: 2, initial: 2 }), batchSize: 8,
    codecs: await codecsFor({ codec: 'json', schemaRegistryUrl: undefined, topicPrefix: 'era' }),
    lookup, onLookupSkipped: (e) => skipped.push(e),
  });
}

describe('embed stage: stored-vector lookup', () => {
  it('embeds the whole batch when the database is unreachable, and reports the skip', async () => {
    const skipped: PipelineError[] = [];
    const stage = await stageWith(async () => { throw new DependencyError('postgres', 'connect ECONNREFUSED'); }, skipped);
    const out = await stage.process([0, 1, 2].map((i) => input(chunk(i), i)), new AbortController().signal);
    expect(out).toHaveLength(3);
    for (const [i, records] of out.entries()) {
      const [record] = records as readonly OutputRecord[];
      const value = embeddingsCodec.decode(record!.value!) as EmbeddedChunk;
      expect(value.chunkId).toBe(`c-${i}`);
      expect(value.embedding).toHaveLength(16);
    }
    expect(skipped.map((e) => e.code)).toEqual(['DEPENDENCY_UNAVAILABLE']);
  });

  it('does not hide a SQL error', async () => {
    const stage = await stageWith(async () => { throw new SqlError('column "x" does not exist', '42703'); }, []);
    await expect(stage.process([input(chunk(0), 0)], new AbortController().signal)).rejects.toThrow(/column "x" does not exist/);
  });
});
