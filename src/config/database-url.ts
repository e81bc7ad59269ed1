/**
 * DATABASE_URL as `pg` will read it, checked at start: a URL `pg` cannot parse (a port that is
 * not a number, or out of range) would otherwise fail on the first query with a bare
 * `TypeError: Invalid URL` and a stack trace. The parse mirrors pg-connection-string's
 * (node_modules/pg-connection-string/index.js `parse`: spaces and stray `%` encoded, an empty
 * host before the path accepted), so what passes here parses there.
 */
import { portProblem, writtenPort } from './url-port.ts';

const EXAMPLE = 'postgres://user:password@127.0.0.1:5432/db';

/** Why `pg` could not use `url`, in words; undefined when it can. */
export function databaseUrlProblem(url: string): string | undefined {
  const port = writtenPort(url);
  const badPort = port === undefined ? undefined : portProblem(port);
  if (badPort) return `${badPort}: write host:port with a port from 1 to 65535, e.g. ${EXAMPLE}`;
  const encoded = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url) ? encodeURI(url).replace(/%25(\d\d)/g, '%$1') : url;
  for (const candidate of [encoded, encoded.replace('@/', '@___DUMMY___/')]) {
    try {
      new URL(candidate, 'postgres://base');
      return undefined;
    } catch {
      // the next form, as pg tries it
    }
  }
  return `it is not a URL pg can read: write it as ${EXAMPLE}`;
}

/** `url` with the password of its user info replaced by `***`, for messages. */
export function hidePassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#@]*@/i, '$1***@');
}
