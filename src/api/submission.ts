/**
 * The body of `POST /documents`, from parsed JSON to validated documents (pure: no I/O).
 *
 * Accepted shapes:
 * - one raw document: `{ "id", "text", … }` (DESIGN.md §3);
 * - an array of raw documents;
 * - an envelope `{ "documents": [...], "jobId"?: string, "priority"?: "high" | "normal" }`:
 *   any object with an own `documents` property is read as an envelope.
 *
 * Every document is validated with validateRawDocument and the same limits as the pipeline;
 * a request is all-or-nothing: one invalid document and none is published.
 */
import { PipelineError } from '../errors/pipeline-error.ts';
import type { RawDocument } from '../topics/messages.ts';
import { encodeRawDocument, validateRawDocument, type RawLimits } from '../topics/raw-document.ts';
import { HttpError } from './http-error.ts';

export interface Submission {
  documents: unknown[];
  jobId?: string;
  priority: boolean;
}

/** Why one document of a request was refused. */
export interface InvalidDocument {
  /** Position in the request's documents, from 0. */
  index: number;
  /** The document's id when it has a string one (cut to 200 characters). */
  id?: string;
  /** Stable code: INVALID_MESSAGE, EMPTY_DOCUMENT, MESSAGE_TOO_LARGE, DUPLICATE_ID. */
  code: string;
  message: string;
}

/** Job ids: 1–256 characters, no control characters (they go into Kafka headers and Postgres). */
const JOB_ID = /^[^\u0000-\u001f\u007f]{1,256}$/u;
const CONTROL = /[\u0000-\u001f\u007f]/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function badRequest(message: string): HttpError {
  return new HttpError(400, 'INVALID_REQUEST', message);
}

/**
 * Reads the shape of a request body.
 * @throws HttpError 400 (INVALID_REQUEST) for a bad envelope or no documents, 413
 *   (TOO_MANY_DOCUMENTS) over `maxDocuments`.
 */
export function parseSubmission(body: unknown, maxDocuments: number): Submission {
  let documents: unknown[];
  let jobId: string | undefined;
  let priority = false;
  if (Array.isArray(body)) documents = body;
  else if (isObject(body) && Object.hasOwn(body, 'documents')) {
    if (!Array.isArray(body.documents)) throw badRequest('"documents" must be an array of raw documents');
    documents = body.documents;
    if (body.jobId !== undefined) {
      if (typeof body.jobId !== 'string' || !JOB_ID.test(body.jobId) || body.jobId.trim() === '') {
        throw badRequest('"jobId" must be a string of 1 to 256 characters without control characters');
      }
      jobId = body.jobId;
    }
    if (body.priority !== undefined) {
      if (body.priority !== 'high' && body.priority !== 'normal') throw badRequest('"priority" must be "high" or "normal"');
      priority = body.priority === 'high';
    }
  } else if (isObject(body)) documents = [body];
  else throw badRequest('the body must be a raw document, an array of them, or { "documents": [...] }');
  if (documents.length === 0) throw badRequest('no documents: send at least one');
  if (documents.length > maxDocuments) {
    throw new HttpError(413, 'TOO_MANY_DOCUMENTS', `${documents.length} documents in one request, over the limit of ${maxDocuments}; split them over several requests (one jobId keeps them in one job)`);
  }
  return { documents, ...(jobId !== undefined ? { jobId } : {}), priority };
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/**
 * Validates every document and gives it the request's job id (which replaces a document's own
 * `jobId`, so the job counts exactly the documents of its requests). Beyond
 * validateRawDocument, it refuses ids with control characters (PostgreSQL cannot store NUL) and
 * ids repeated in one request (their order in the job would be ambiguous), and checks each
 * document's encoding (the era.raw value) against `limits.maxBytes`.
 * @returns the documents when all are valid, else only the list of invalid ones.
 */
export function prepareDocuments(documents: readonly unknown[], jobId: string, limits: RawLimits): { documents: RawDocument[]; invalid: InvalidDocument[] } {
  const valid: RawDocument[] = [];
  const invalid: InvalidDocument[] = [];
  const seen = new Set<string>();
  documents.forEach((value, index) => {
    const rawId = isObject(value) && typeof value.id === 'string' ? value.id : undefined;
    const refuse = (code: string, message: string): void => {
      invalid.push({ index, ...(rawId !== undefined ? { id: cut(rawId, 200) } : {}), code, message: cut(message, 500) });
    };
    let doc: RawDocument;
    try {
      doc = validateRawDocument(value, undefined, limits);
    } catch (error) {
      if (error instanceof PipelineError) return refuse(error.code, error.message);
      throw error;
    }
    if (CONTROL.test(doc.id)) return refuse('INVALID_MESSAGE', 'invalid raw document: id contains control characters');
    if (seen.has(doc.id)) return refuse('DUPLICATE_ID', `invalid request: id "${cut(doc.id, 100)}" appears more than once; send each document once per request`);
    seen.add(doc.id);
    const withJob = { ...doc, jobId };
    const bytes = encodeRawDocument(withJob).byteLength;
    if (bytes > limits.maxBytes) return refuse('MESSAGE_TOO_LARGE', `raw document is ${bytes} bytes, over the limit of ${limits.maxBytes} bytes (MAX_DOCUMENT_BYTES)`);
    if (invalid.length === 0) valid.push(withJob);
  });
  return invalid.length ? { documents: [], invalid } : { documents: valid, invalid };
}
