/**
 * Reading a JSON request body with bounded memory: the size limit is decided from
 * Content-Length before reading, or while streaming (reading stops at the first byte over the
 * limit), never after buffering everything; nesting depth is checked on the bytes before
 * JSON.parse, which would otherwise spend seconds of event loop on megabytes of `[[[[`.
 */
import type { IncomingMessage } from 'node:http';
import { decodeUtf8 } from '../topics/raw-document.ts';
import { HttpError } from './http-error.ts';

/** The request went away before its body ended: nothing to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection before the request body ended');
    this.name = 'ClientGoneError';
  }
}

/**
 * Checks that the body is declared as JSON (`application/json`, any parameters such as
 * `charset=utf-8`). @throws HttpError 415 otherwise.
 */
export function requireJsonContentType(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'})`);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is over the limit of ${limit} bytes (API_MAX_BODY_BYTES); send fewer or smaller documents per request`);
}

/**
 * Reads the whole body, at most `limit` bytes. On a declared or streamed size over the limit it
 * stops reading (the request is paused, the buffered part dropped) and rejects with 413; the
 * server then answers and closes the connection.
 * @throws HttpError 413; ClientGoneError when the client disconnects first.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      if (error) reject(error);
      else resolve(body!);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        chunks.length = 0;
        settle(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined, Buffer.concat(chunks, size));
    const onGone = (): void => settle(new ClientGoneError());
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

/**
 * True when the JSON text nests arrays/objects deeper than `max`. A linear scan of the bytes:
 * brackets, quotes and backslashes are ASCII, which never occur inside a multi-byte UTF-8
 * sequence, so no decoding is needed.
 */
export function nestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i += 1; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth -= 1;
  }
  return false;
}

/**
 * Decodes a body as strict UTF-8 JSON nested at most `maxDepth` levels.
 * @throws HttpError 400 (INVALID_JSON, JSON_TOO_DEEP).
 */
export function parseJsonBody(body: Buffer, maxDepth: number): unknown {
  if (body.length === 0) throw new HttpError(400, 'INVALID_JSON', 'request body is empty: send a JSON document, an array of them or { "documents": [...] }');
  if (nestsDeeperThan(body, maxDepth)) throw new HttpError(400, 'JSON_TOO_DEEP', `request body nests arrays/objects deeper than ${maxDepth} levels`);
  let text: string;
  try {
    text = decodeUtf8(body, 'request body');
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'INVALID_JSON', `request body is not JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}
