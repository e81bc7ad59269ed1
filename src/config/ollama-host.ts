/**
 * An OLLAMA_HOST entry in every form Ollama itself accepts, as one URL. The rules are Ollama's
 * (envconfig.Host in github.com/ollama/ollama/envconfig/config.go, and the `ollama` npm client's
 * `formatHost`, node_modules/ollama/src/utils.ts):
 *
 * | written                     | URL                               |
 * |-----------------------------|-----------------------------------|
 * | `gpu1`                      | `http://gpu1:11434`               |
 * | `gpu1:8080`, `:8080`        | `http://gpu1:8080`, `http://127.0.0.1:8080` |
 * | `0.0.0.0`, `0.0.0.0:11434`  | `http://127.0.0.1:11434` (what a server bound to all interfaces is reached at here) |
 * | `[::1]`, `::1`              | `http://[::1]:11434`              |
 * | `http://gpu1`, `https://gpu1` | `http://gpu1:80`, `https://gpu1:443` (a scheme written: its default port, as Ollama) |
 * | `https://proxy/ollama/`     | `https://proxy:443/ollama`        |
 *
 * Unlike Ollama, which falls back to its default port with a warning, a port that is not a
 * number from 1 to 65535 is refused, as is a scheme other than http(s).
 */
import { isIPv6 } from 'node:net';
import { portProblem, writtenPort } from './url-port.ts';

export const OLLAMA_DEFAULT_PORT = '11434';

const ALL_INTERFACES: Record<string, string> = { '0.0.0.0': '127.0.0.1', '[::]': '[::1]' };

/** The URL of an OLLAMA_HOST entry (see the table above), or why it is none. */
export function parseOllamaHost(entry: string): { url: string } | { problem: string } {
  const text = entry.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return { problem: `the scheme ${JSON.stringify(scheme)} is not http or https` };
  const rest = scheme === undefined ? (isIPv6(text) ? `[${text}]` : text) : text.slice(scheme.length + 3);
  // No host before the port (`:11434`): this machine, as for Ollama.
  const written = `${scheme ?? 'http'}://${rest.startsWith(':') ? '127.0.0.1' : ''}${rest}`;
  const port = writtenPort(written);
  const badPort = port === undefined ? undefined : portProblem(port);
  if (badPort) return { problem: badPort };
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return { problem: 'it is not a host, host:port or http(s) URL' };
  }
  const host = ALL_INTERFACES[url.hostname] ?? url.hostname;
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  const defaultPort = scheme === undefined ? OLLAMA_DEFAULT_PORT : scheme === 'https' ? '443' : '80';
  return { url: `${url.protocol}//${auth}${host}:${port ?? defaultPort}${url.pathname.replace(/\/+$/, '')}` };
}
