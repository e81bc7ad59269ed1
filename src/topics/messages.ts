/**
 * Message types of every topic (DESIGN.md §3). Every topic is keyed by document id.
 * The codecs in ./codec-json.ts are the only code that knows their bytes.
 */

import type { ContentType } from './content-type.ts';

/** `era.raw` value, v1. Only `id` and `text` are required. */
export interface RawDocument {
  id: string;
  text: string;
  title?: string;
  source?: string;
  minister?: string;
  category?: string;
  metadata?: Record<string, unknown>;
  jobId?: string;
  /**
   * How `text` is written (./content-type.ts): `text/markdown` (the default when absent) has
   * its `#` headings taken for sections; `text/plain` is split on paragraphs and sentences only.
   */
  contentType?: ContentType;
}

/** Fields every chunk carries from its document, so later stages need no lookups. */
export interface DocumentFields {
  docId: string;
  /**
   * Document version, assigned by the pipeline (README "Guarantees"): the offset of the
   * document's record in `era.raw` (a record of `era.raw.priority` gets the offset of its append
   * to `era.raw`; a replayed record keeps its original one), or the next number of the store's
   * per-document counter for `era-ingest run`. Total per document, never a producer's clock;
   * a version older than the current one is ignored by the store.
   */
  version: number;
  /** sha256 (hex) of the document's content (text, title); equal hash = unchanged document. */
  contentHash: string;
  title?: string;
  source?: string;
  /** Explicit minister / category from the document, if any. */
  minister?: string;
  category?: string;
  metadata?: Record<string, unknown>;
  jobId?: string;
}

/** `era.chunks` value: one message per chunk of a document version. */
export interface ChunkRecord extends DocumentFields {
  kind: 'chunk';
  /** Deterministic: hash of docId, contentHash, seq and the chunker settings. */
  chunkId: string;
  /** 0-based position in the document. */
  seq: number;
  /** Number of chunks of this document version (the store flips the version when all are in). */
  count: number;
  text: string;
  tokenCount: number;
  /** Markdown heading path above the chunk, outermost first. */
  headingPath: string[];
}

/** A document deletion (from a tombstone on `era.raw`), carried through every topic. */
export interface DeleteRecord {
  kind: 'delete';
  docId: string;
  version: number;
  jobId?: string;
}

/** `era.embeddings` value. */
export interface EmbeddedChunk extends ChunkRecord {
  embedding: Float32Array;
  model: string;
}

export type RoutingMethod = 'explicit' | 'nearest' | 'default';

/** `era.ministers` value. */
export interface RoutedChunk extends EmbeddedChunk {
  ministerId: string;
  category: string | undefined;
  routing: { method: RoutingMethod; score?: number };
}

/** `era.stored` value: one per document when all its chunks are committed, one per deletion. */
export interface StoredEvent {
  id: string;
  version: number;
  chunks: number;
  jobId?: string;
  storedAt: number;
  deleted?: boolean;
}

export type ChunksValue = ChunkRecord | DeleteRecord;
export type EmbeddingsValue = EmbeddedChunk | DeleteRecord;
export type MinistersValue = RoutedChunk | DeleteRecord;

/**
 * What the first stage receives for one `era.raw` record: the document (null for a tombstone),
 * with what the runner knows beside the value — the document id (the record key), the version
 * the pipeline assigned, and the job from the `era.job` header when the document names none.
 */
export interface RawEntry {
  docId: string;
  doc: RawDocument | null;
  version: number;
  jobId?: string;
}

/**
 * The message kinds of the dataflow, by name: a stream (topic) carries one kind. A codec per
 * kind lives in ./codec-async.ts; `messageKey` gives every kind's record key (its document id).
 */
export interface Messages {
  raw: RawEntry;
  chunks: ChunksValue;
  embeddings: EmbeddingsValue;
  ministers: MinistersValue;
  stored: StoredEvent;
}

export type MessageKind = keyof Messages;

/** The record key of a message: the id of the document it belongs to (every topic is keyed by it). */
export function messageKey<K extends MessageKind>(kind: K, value: Messages[K]): string {
  return kind === 'stored' ? (value as StoredEvent).id : (value as Exclude<Messages[MessageKind], StoredEvent>).docId;
}
