/**
 * Errors and JSON responses of the HTTP API. Every error answer has the same shape,
 * `{ "error": { "code", "message" } }` (plus route-specific fields such as `invalid`), and a
 * stable `code` string clients can branch on; the message is for people.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PipelineError } from '../errors/pipeline-error.ts';

/** Stable error codes of the HTTP API (beyond the pipeline's own, e.g. DEPENDENCY_UNAVAILABLE). */
export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'JOB_NOT_FOUND'
  | 'DOCUMENT_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_DOCUMENTS'
  | 'INVALID_JSON'
  | 'JSON_TOO_DEEP'
  | 'INVALID_REQUEST'
  | 'INVALID_DOCUMENTS'
  | 'BUSY'
  | 'SHUTTING_DOWN'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'INTERNAL';

/** An answer other than success, thrown by a handler and written by the server. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers (Allow, WWW-Authenticate, Retry-After). */
    readonly headers: Record<string, string> = {},
    /** Extra top-level fields of the JSON body (e.g. `invalid`). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Writes `value` as a JSON answer. A no-op when the client is gone or headers went out. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/**
 * What an error becomes on the wire: HttpError as it says; a retriable PipelineError (broker,
 * database or embedder down) 503 with Retry-After; anything else 500 without details (those go
 * to the log only, so nothing internal leaks to clients).
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof PipelineError && error.retriable) {
    const dependency = 'dependency' in error && typeof error.dependency === 'string' ? error.dependency : 'a dependency';
    return new HttpError(503, 'DEPENDENCY_UNAVAILABLE', `${dependency} is unavailable; retry later`, { 'retry-after': '5' });
  }
  return new HttpError(500, 'INTERNAL', 'internal error (see the server log)');
}

/**
 * Writes an error answer. When the request body was not read to its end (413, 415, 401 …) the
 * connection is closed after the answer instead of draining what the client is still sending.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: HttpError): void {
  const headers = { ...error.headers };
  if (!req.complete) headers.connection = 'close';
  sendJson(res, error.status, { error: { code: error.code, message: error.message }, ...error.body }, headers);
}
