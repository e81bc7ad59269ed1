/**
 * Embedded mode: the same stage transforms as the Kafka services (chunkDocument, the embedder
 * with bisection and stored-vector reuse, routeValue, writeBatch) in one process, connected by
 * Node streams (`stream.pipeline`): backpressure from the store to the file reader keeps memory
 * bounded whatever the corpus size. Stores into any SqlClient (PGlite by default).
 */
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { embedWithBisect } from '../embedding/embed-batch.ts';
import type { Embedder } from '../embedding/types.ts';
import { PipelineError } from '../errors/pipeline-error.ts';
import { batchStep, orderedParallelStep } from '../runtime/steps.ts';
import type { ChunkerOptions } from '../stages/chunk/options.ts';
import { chunkDocument } from '../stages/chunk/transform.ts';
import type { MinisterProfiles } from '../stages/minister/profiles.ts';
import { routeBatch } from '../stages/minister/route-batch.ts';
import { lookupEmbeddings } from '../storage/embedding-cache.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { writeBatch } from '../storage/store.ts';
import type { ChunkRecord, EmbeddedChunk, RoutedChunk } from '../topics/messages.ts';
import type { FileItem } from './files.ts';

export interface EmbeddedOptions {
  client: SqlClient;
  embedder: Embedder;
  profiles: MinisterProfiles;
  chunker: ChunkerOptions;
  /** Chunks per embedding request. */
  embedBatchSize: number;
  /** Embedding requests at once. */
  embedConcurrency: number;
  /** Chunks per store transaction. @defaultValue 256 */
  storeBatchSize?: number;
  /** Version of the documents of this run (ms epoch). */
  nowMs: number;
  jobId?: string;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  documentsRead: number;
  documentsStored: number;
  chunksStored: number;
  failures: number;
}

export interface RunSummary {
  documents: number;
  chunks: number;
  /** Chunks embedded by a call to the embedder (the rest reused stored vectors). */
  embedded: number;
  reused: number;
  ministers: Record<string, number>;
  failures: Array<{ origin: string; reason: string }>;
  seconds: number;
  chunksPerSecond: number;
}

interface ChunkItem {
  chunk: ChunkRecord;
  origin: string;
}

export async function ingest(items: AsyncIterable<FileItem>, options: EmbeddedOptions): Promise<RunSummary> {
  const { client, embedder, profiles, chunker, nowMs, jobId, signal } = options;
  const started = performance.now();
  const progress: Progress = { documentsRead: 0, documentsStored: 0, chunksStored: 0, failures: 0 };
  const failures: RunSummary['failures'] = [];
  const ministers: Record<string, number> = {};
  const failedDocs = new Set<string>();
  let embedded = 0;
  let reused = 0;
  const fail = (origin: string, reason: string): void => {
    failures.push({ origin, reason });
    progress.failures += 1;
  };

  const chunkStep = new Transform({
    objectMode: true,
    highWaterMark: 64,
    transform(item: FileItem, _encoding, callback) {
      if (item.kind === 'failure') {
        fail(item.origin, item.reason);
        return callback();
      }
      progress.documentsRead += 1;
      const doc = jobId !== undefined ? { ...item.doc, jobId } : item.doc;
      for (const chunk of chunkDocument(doc, { version: nowMs }, chunker)) this.push({ chunk, origin: item.origin } satisfies ChunkItem);
      callback();
    },
  });

  const limit = pLimit(options.embedConcurrency);
  // Two steps, so that the next batch is embedded while the previous one is being stored.
  const embedBatch = async (batch: ChunkItem[]): Promise<RoutedChunk[]> => {
    const ids = batch.map((b) => b.chunk.chunkId);
    const vectors = await lookupEmbeddings(client, ids, embedder.model, embedder.dimension);
    reused += vectors.size;
    const todo = batch.filter((b) => !vectors.has(b.chunk.chunkId));
    const groups: ChunkItem[][] = [];
    for (let i = 0; i < todo.length; i += options.embedBatchSize) groups.push(todo.slice(i, i + options.embedBatchSize));
    await Promise.all(groups.map((group) => limit(async () => {
      const outcomes = await embedWithBisect(embedder, group.map((g) => g.chunk.text), signal);
      outcomes.forEach((outcome, i) => {
        const { chunk, origin } = group[i]!;
        if (outcome.ok) {
          vectors.set(chunk.chunkId, outcome.vector);
          embedded += 1;
        } else if (!failedDocs.has(chunk.docId)) {
          failedDocs.add(chunk.docId);
          fail(origin, `chunk ${chunk.seq} could not be embedded: ${outcome.error.code}: ${outcome.error.message}`);
        }
      });
    })));
    const embeddedChunks = batch
      .filter((b) => vectors.has(b.chunk.chunkId))
      .map((b) => ({ ...b.chunk, embedding: vectors.get(b.chunk.chunkId)!, model: embedder.model }) satisfies EmbeddedChunk);
    const routed = await routeBatch(embeddedChunks, { profiles, ...(embedder.kind === 'lexical' ? { lexical: embedder } : {}) }, signal);
    const error = routed.find((r): r is PipelineError => r instanceof PipelineError);
    if (error) throw error;
    return routed as RoutedChunk[];
  };

  const storeBatch = async (routed: RoutedChunk[]): Promise<void> => {
    const events = await writeBatch(client, routed, { now: Date.now() });
    for (const r of routed) ministers[r.ministerId] = (ministers[r.ministerId] ?? 0) + 1;
    progress.chunksStored += routed.length;
    progress.documentsStored += events.filter((e) => !e.deleted).length;
    options.onProgress?.({ ...progress });
  };

  await pipeline(
    Readable.from(items),
    chunkStep,
    batchStep<ChunkItem>(options.storeBatchSize ?? 256, 20),
    orderedParallelStep(embedBatch, 2),
    orderedParallelStep(storeBatch, 1),
    new Writable({ objectMode: true, write: (_chunk, _encoding, callback) => callback() }),
    ...(signal ? [{ signal }] : []),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    documents: progress.documentsStored,
    chunks: progress.chunksStored,
    embedded,
    reused,
    ministers,
    failures,
    seconds,
    chunksPerSecond: seconds > 0 ? progress.chunksStored / seconds : 0,
  };
}
