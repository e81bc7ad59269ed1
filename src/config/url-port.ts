/** The port as written in a URL's authority (`scheme://user@host:port/…`), before any parse. */

/**
 * The text after the host's colon in `url`'s authority: undefined when no port is written (or
 * the colon is followed by nothing). Read before `new URL`, which rejects a bad port without
 * saying why and drops a port that is the scheme's default (`http://h:80` → port "").
 */
export function writtenPort(url: string): string | undefined {
  const authority = /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /^(?:\[[^\]]*\]|[^:[]*)(?::(.*))?$/.exec(hostPort)?.[1];
  return port === '' ? undefined : port;
}

/** Why `port` (as written) is not a TCP port to connect to, in words; undefined when it is one. */
export function portProblem(port: string): string | undefined {
  if (!/^\d+$/.test(port)) return `its port ${JSON.stringify(port)} is not a number`;
  if (!(Number(port) >= 1 && Number(port) <= 65_535)) return `its port ${port} is out of range (1 to 65535)`;
  return undefined;
}
