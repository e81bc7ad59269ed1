/**
 * Optional bearer-token authentication of the HTTP API (API_TOKEN).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error.ts';

/** Checks an `Authorization` header value; true when it carries the right token. */
export type BearerCheck = (authorization: string | undefined) => boolean;

const BEARER = /^Bearer +(\S+) *$/i;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * A check of `Authorization: Bearer <token>` in constant time: both tokens are hashed to
 * 32 bytes first, so timingSafeEqual compares equal-length buffers and neither the content nor
 * the length of the expected token shows in the response time. The token is never logged or
 * echoed.
 * @throws RangeError when `token` is empty (a programmer error: config validation forbids it).
 */
export function bearerCheck(token: string): BearerCheck {
  if (token.length === 0) throw new RangeError('bearerCheck: the token must not be empty');
  const expected = digest(token);
  return (authorization) => {
    const match = BEARER.exec(authorization ?? '');
    const same = timingSafeEqual(expected, digest(match?.[1] ?? ''));
    return same && match !== null;
  };
}

/** The 401 answer: `WWW-Authenticate: Bearer` as RFC 6750 §3 asks. */
export function unauthorized(authorization: string | undefined): HttpError {
  const given = authorization !== undefined;
  return new HttpError(401, 'UNAUTHORIZED', given ? 'the bearer token is wrong' : 'this route needs Authorization: Bearer <API_TOKEN>', {
    'www-authenticate': given ? 'Bearer realm="era-ingest", error="invalid_token"' : 'Bearer realm="era-ingest"',
  });
}
