import { randomUUID } from 'node:crypto';
import { HEADERS, type Headers } from './headers.ts';
import type { RawDocument } from './messages.ts';
import { encodeRawDocument } from './raw-document.ts';

export interface RawRecord {
  key: string;
  /** null = tombstone (deletes the document). */
  value: Buffer | null;
  headers: Headers;
}

export interface PublishContext {
  jobId?: string;
  /** Publish time, ms epoch: becomes `era.published.at` and the document version. */
  nowMs: number;
  trace?: string;
}

/** The `era.raw` record for a document, with the headers of DESIGN.md §3 set once, here. */
export function rawRecord(doc: RawDocument, { jobId, nowMs, trace }: PublishContext): RawRecord {
  const job = jobId ?? doc.jobId;
  const value = job !== undefined && doc.jobId === undefined ? { ...doc, jobId: job } : doc;
  const headers: Headers = { [HEADERS.publishedAt]: String(nowMs), [HEADERS.trace]: trace ?? randomUUID() };
  if (job !== undefined) headers[HEADERS.job] = job;
  return { key: doc.id, value: encodeRawDocument(value), headers };
}

/** A tombstone for `docId`. */
export function tombstoneRecord(docId: string, { jobId, nowMs, trace }: PublishContext): RawRecord {
  const headers: Headers = { [HEADERS.publishedAt]: String(nowMs), [HEADERS.trace]: trace ?? randomUUID() };
  if (jobId !== undefined) headers[HEADERS.job] = jobId;
  return { key: docId, value: null, headers };
}
