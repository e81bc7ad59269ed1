/**
 * The embed stage's stored-vector lookup is best effort: a database outage must not stop
 * embedding (only the store stage needs the database), while a real SQL error is not hidden.
 */
import { describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { DependencyError, type PipelineError } from '../../../src/errors/pipeline-error.ts';
import { AimdLimiter } from '../../../src/flow-control/aimd-limiter.ts';
import { embedTransform } from '../../../src/stages/embed/stage.ts';
import { SqlError } from '../../../src/storage/errors.ts';
import type { ChunkRecord, EmbeddedChunk } from '../../../src/topics/messages.ts';

const chunk = (seq: number): ChunkRecord => ({
  kind: 'chunk', docId: 'doc-1', version: 1, contentHash: 'h', chunkId: `c-${seq}`, seq, count: 3,
  text: `The treasury cut the deficit, part ${seq}.`, tokenCount: 9, headingPath: [],
});

function stageWith(lookup: () => Promise<Map<string, Float32Array>>, skipped: PipelineError[]) {
  return embedTransform({
    embedder: createHashEmbedder({ dimension: 16 }), limiter: new AimdLimiter({ min: 1, max: 2, initial: 2 }), batchSize: 8,
    lookup, observer: { skipped: (e) => skipped.push(e) }, now: Date.now,
  });
}

describe('embed stage: stored-vector lookup', () => {
  it('embeds the whole batch when the database is unreachable, and reports the skip', async () => {
    const skipped: PipelineError[] = [];
    const stage = stageWith(async () => { throw new DependencyError('postgres', 'connect ECONNREFUSED'); }, skipped);
    const out = await stage.process([0, 1, 2].map((i) => chunk(i)), new AbortController().signal);
    expect(out).toHaveLength(3);
    for (const [i, outputs] of out.entries()) {
      const [value] = outputs as readonly EmbeddedChunk[];
      expect(value!.chunkId).toBe(`c-${i}`);
      expect(value!.embedding).toHaveLength(16);
    }
    expect(skipped.map((e) => e.code)).toEqual(['DEPENDENCY_UNAVAILABLE']);
  });

  it('does not hide a SQL error', async () => {
    const stage = stageWith(async () => { throw new SqlError('column "x" does not exist', '42703'); }, []);
    await expect(stage.process([chunk(0)], new AbortController().signal)).rejects.toThrow(/column "x" does not exist/);
  });
});
