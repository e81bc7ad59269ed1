/**
 * One stored document as a reader sees it (`GET /documents/:id`): its current version with its
 * chunks in order, and the jobs that carried it. The store keeps no earlier versions (a version
 * flip deletes the old chunks, DESIGN.md §4), so the history is that of its jobs: each job that
 * submitted the document, with the phase it reached and why it failed.
 */
import type { SqlClient } from './sql-client.ts';

export interface DocumentChunkView {
  chunkId: string;
  seq: number;
  tokenCount: number;
  text: string;
  /** Titles of the enclosing Markdown sections, outermost first. */
  headingPath: string[];
  ministerId: string;
  category: string | null;
  /** Model of the chunk's embedding. */
  model: string;
}

export interface DocumentView {
  docId: string;
  /** The current version (a position: era.raw offset, or the store's counter for the in-process runner). */
  version: number;
  contentHash: string;
  title: string | null;
  source: string | null;
  ministerId: string | null;
  category: string | null;
  metadata: Record<string, unknown> | null;
  chunkCount: number;
  /** The job that stored the current version. */
  jobId: string | null;
  updatedAt: Date;
  chunks: DocumentChunkView[];
  /** Jobs that submitted this document, newest first (at most 20). */
  jobs: Array<{ jobId: string; phase: string; stage: string | null; errorCode: string | null; errorMessage: string | null; updatedAt: Date }>;
}

/** The document's current version, or undefined when no version of it is current (never stored, deleted, or still in progress). */
export async function readDocument(client: SqlClient, docId: string): Promise<DocumentView | undefined> {
  const { rows: [d] } = await client.query<{ doc_id: string; version: unknown; content_hash: string; title: string | null; source: string | null; minister_id: string | null; category: string | null; metadata: Record<string, unknown> | null; chunk_count: number; job_id: string | null; updated_at: Date }>(
    'SELECT doc_id, version, content_hash, title, source, minister_id, category, metadata, chunk_count, job_id, updated_at FROM documents WHERE doc_id = $1', [docId]);
  if (!d) return undefined;
  const { rows: chunks } = await client.query<{ chunk_id: string; seq: number; token_count: number; text: string; heading_path: string[] | null; minister_id: string; category: string | null; model: string }>(
    `SELECT chunk_id, seq, token_count, text, heading_path, minister_id, category, model FROM chunks
     WHERE doc_id = $1 AND content_hash = $2 ORDER BY seq`, [docId, d.content_hash]);
  const { rows: jobs } = await client.query<{ job_id: string; phase: string; stage: string | null; error_code: string | null; error_message: string | null; updated_at: Date }>(
    'SELECT job_id, phase, stage, error_code, error_message, updated_at FROM job_documents WHERE doc_id = $1 ORDER BY updated_at DESC, job_id LIMIT 20', [docId]);
  return {
    docId: d.doc_id, version: Number(d.version), contentHash: d.content_hash, title: d.title, source: d.source, ministerId: d.minister_id, category: d.category,
    metadata: d.metadata, chunkCount: Number(d.chunk_count), jobId: d.job_id, updatedAt: new Date(d.updated_at),
    chunks: chunks.map((c) => ({ chunkId: c.chunk_id, seq: Number(c.seq), tokenCount: Number(c.token_count), text: c.text, headingPath: c.heading_path ?? [], ministerId: c.minister_id, category: c.category, model: c.model })),
    jobs: jobs.map((j) => ({ jobId: j.job_id, phase: j.phase, stage: j.stage, errorCode: j.error_code, errorMessage: j.error_message, updatedAt: new Date(j.updated_at) })),
  };
}
