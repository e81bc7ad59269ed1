/**
 * The producing half of a re-embedding: pages through the current chunks that lack a vector of
 * the model (keyset order, so a page never repeats) and publishes each to `era.reembed`, keyed
 * by document id like every topic, with the model in a header.
 */
import { randomUUID } from 'node:crypto';
import { PipelineError } from '../errors/pipeline-error.ts';
import type { Publisher, PublishRecord } from '../kafka/publisher.ts';
import { chunksToEmbed, type ChunkToEmbed } from '../storage/model-vectors.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import type { AsyncCodec } from '../topics/codec-async.ts';
import { HEADERS, REEMBED_MODEL_HEADER } from '../topics/headers.ts';
import type { ChunkRecord, ChunksValue } from '../topics/messages.ts';

/** The era.chunks-format record of a stored chunk. */
export function chunkRecordOf(c: ChunkToEmbed): ChunkRecord {
  return {
    kind: 'chunk', docId: c.docId, version: c.version, contentHash: c.contentHash, ...(c.title !== null ? { title: c.title } : {}),
    chunkId: c.chunkId, seq: c.seq, count: c.count, text: c.text, tokenCount: c.tokenCount, headingPath: c.headingPath,
  };
}

/** Headers of a re-embedding record (job id `reembed:<model>`, publish time for latency). */
export function reembedHeaders(model: string, nowMs: number): Record<string, string> {
  return { [REEMBED_MODEL_HEADER]: model, [HEADERS.job]: `reembed:${model}`, [HEADERS.publishedAt]: String(nowMs), [HEADERS.trace]: randomUUID() };
}

export interface FeedOptions {
  client: SqlClient;
  publisher: Publisher;
  topic: string;
  model: string;
  codec: AsyncCodec<ChunksValue>;
  /** Chunk ids not to publish again (they failed in this run). */
  exclude?: readonly string[];
  /** Chunks per query and per produce request. @defaultValue 500 */
  pageSize?: number;
  now?: () => number;
  onPage?: (published: number) => void;
  /** Stops between pages (SIGTERM): what was published stays published. */
  signal?: AbortSignal;
}

/** Publishes every current chunk without a vector of the model; resolves with how many (all acknowledged). */
export async function feedMissing({ client, publisher, topic, model, codec, exclude = [], pageSize = 500, now = Date.now, onPage, signal }: FeedOptions): Promise<number> {
  let after = '';
  let published = 0;
  for (;;) {
    if (signal?.aborted) throw new PipelineError('SHUTDOWN', 'feeding stopped');
    const page = await chunksToEmbed(client, model, { after, limit: pageSize, exclude });
    if (page.length === 0) return published;
    const messages: PublishRecord[] = await Promise.all(page.map(async (c) => ({
      key: c.docId, value: await codec.encode(chunkRecordOf(c)), headers: reembedHeaders(model, now()),
    })));
    await publisher.send(topic, messages);
    published += page.length;
    after = page[page.length - 1]!.chunkId;
    onPage?.(published);
  }
}
