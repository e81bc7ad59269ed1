/**
 * One document as a person inspects it (the console's document page, `GET /documents/:id`):
 * its current version with its chunks in order, and the history the store keeps of it — the
 * jobs that carried one of its versions (phase reached, when, why it failed), its last version
 * number handed out by `run`'s counter, its tombstone when it was deleted. The store keeps no
 * earlier version's text: a new version replaces the chunks of the one before.
 */
import type { SqlClient } from './sql-client.ts';

export interface DocumentChunk {
  chunkId: string;
  seq: number;
  text: string;
  tokenCount: number;
  headingPath: string[];
  ministerId: string;
  category: string | null;
  model: string;
}

export interface DocumentHistoryEntry {
  jobId: string;
  phase: string;
  stage: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  at: Date;
}

export interface DocumentDetail {
  docId: string;
  /** Absent when the document has no current version (deleted, or never stored). */
  current?: {
    version: number;
    title: string | null;
    source: string | null;
    metadata: Record<string, unknown> | null;
    ministerId: string | null;
    category: string | null;
    jobId: string | null;
    updatedAt: Date;
    chunks: DocumentChunk[];
  };
  /** Set when the document was deleted (a tombstone newer than any stored version). */
  deleted?: { version: number; at: Date };
  /** Jobs that carried a version of it, newest first (at most 50). */
  history: DocumentHistoryEntry[];
}

const json = (v: unknown): Record<string, unknown> | null => (v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : (v as Record<string, unknown>));

/** The document `docId`, or undefined when the store never saw it. */
export async function documentDetail(client: SqlClient, docId: string): Promise<DocumentDetail | undefined> {
  const [doc, chunks, tomb, history] = await Promise.all([
    client.query<{ version: unknown; title: string | null; source: string | null; metadata: unknown; minister_id: string | null; category: string | null; job_id: string | null; updated_at: Date }>(
      'SELECT version, title, source, metadata, minister_id, category, job_id, updated_at FROM documents WHERE doc_id = $1::text', [docId]),
    client.query<{ chunk_id: string; seq: number; text: string; token_count: number; heading_path: string[]; minister_id: string; category: string | null; model: string }>(
      `SELECT c.chunk_id, c.seq, c.text, c.token_count, c.heading_path, c.minister_id, c.category, c.model
       FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
       WHERE c.doc_id = $1::text ORDER BY c.seq`, [docId]),
    client.query<{ version: unknown; deleted_at: Date }>('SELECT version, deleted_at FROM document_tombstones WHERE doc_id = $1::text', [docId]),
    client.query<{ job_id: string; phase: string; stage: string | null; error_code: string | null; error_message: string | null; updated_at: Date }>(
      `SELECT job_id, phase, stage, error_code, error_message, updated_at FROM job_documents
       WHERE doc_id = $1::text ORDER BY updated_at DESC, job_id LIMIT 50`, [docId]),
  ]);
  const row = doc.rows[0];
  const t = tomb.rows[0];
  if (!row && !t && history.rows.length === 0) return undefined;
  const detail: DocumentDetail = {
    docId,
    history: history.rows.map((h) => ({ jobId: h.job_id, phase: h.phase, stage: h.stage, errorCode: h.error_code, errorMessage: h.error_message, at: new Date(h.updated_at) })),
  };
  if (row) {
    detail.current = {
      version: Number(row.version), title: row.title, source: row.source, metadata: json(row.metadata), ministerId: row.minister_id, category: row.category,
      jobId: row.job_id, updatedAt: new Date(row.updated_at),
      chunks: chunks.rows.map((c) => ({ chunkId: c.chunk_id, seq: Number(c.seq), text: c.text, tokenCount: Number(c.token_count), headingPath: c.heading_path ?? [], ministerId: c.minister_id, category: c.category, model: c.model })),
    };
  }
  if (t && (!row || Number(t.version) > Number(row.version))) detail.deleted = { version: Number(t.version), at: new Date(t.deleted_at) };
  return detail;
}
