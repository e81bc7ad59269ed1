/**
 * Semantic embeddings from one or more Ollama servers through the `ollama` npm client
 * (`POST /api/embed` with an input array). DESIGN.md §6.
 *
 * Timeouts: the client passes no AbortSignal for non-streaming calls, but it accepts a custom
 * `fetch` (node_modules/ollama/src/browser.ts, `config.fetch`). Each call therefore gets a
 * lightweight client whose fetch carries that call's signal, which covers connecting, waiting
 * for headers and reading the body. The signal fires on our timeout, on the caller's signal
 * and on `close()`.
 */
import { Ollama } from 'ollama';
import { ConfigError } from '../errors/pipeline-error.ts';
import { abortedByCaller } from './aborted.ts';
import { HostPool } from './host-pool.ts';
import { classifyOllamaError } from './ollama-errors.ts';
import { toVectors } from './ollama-response.ts';
import type { Embedder } from './types.ts';

export interface OllamaEmbedderOptions {
  /** Ollama base URLs (`http://host:11434`); requests go to the least busy. At least one. */
  hosts: readonly string[];
  /** Model name as Ollama knows it (`all-minilm`, `nomic-embed-text:v1.5`). */
  model: string;
  /**
   * Expected vector length; a model that returns another length is a CONFIG_INVALID error.
   * `any` accepts the model's length (to learn it: ./dimension.ts); `dimension` is then NaN.
   */
  dimension: number | 'any';
  /** Deadline of one `/api/embed` request, ms, from sending to the last byte of the answer. */
  timeoutMs: number;
  /** Ollama `keep_alive`: a Go duration (`5m`, `1h30m`), or seconds as a number (`-1` = forever). */
  keepAlive: string | number;
  /** Let Ollama cut inputs longer than the model's context instead of rejecting them. @defaultValue true */
  truncate?: boolean;
  /** How long a host that just failed is avoided while another is healthy, ms. @defaultValue 2_000 */
  hostPenaltyMs?: number;
  /** The fetch implementation under the client (tests, proxies). @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;

/**
 * Normalises `keep_alive`: a number, or a string of digits (seconds) as a number, or a Go
 * duration string. Ollama answers 400 to anything else, which would look like a rejected input.
 *
 * @throws ConfigError naming EMBED_KEEP_ALIVE.
 */
export function parseKeepAlive(value: string | number): string | number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const text = String(value).trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === '0' || GO_DURATION.test(text)) return text;
  throw new ConfigError(`EMBED_KEEP_ALIVE=${JSON.stringify(value)} is invalid: use a duration like 5m, 30s or 1h, seconds (300), or -1 to keep the model loaded.`);
}

function checkHosts(hosts: readonly string[]): string[] {
  if (!Array.isArray(hosts) || hosts.length === 0) throw new ConfigError('OLLAMA_HOST is empty: give at least one Ollama URL, e.g. http://127.0.0.1:11434.');
  return hosts.map((host) => {
    let url: URL | undefined;
    try {
      url = new URL(host);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError(`OLLAMA_HOST entry ${JSON.stringify(host)} is not an http(s) URL: use e.g. http://127.0.0.1:11434.`);
    }
    return host.replace(/\/+$/, '');
  });
}

/**
 * Creates the Ollama embedder. Validates every option at construction (no request is made).
 *
 * `embed(texts, signal)` sends all texts in one request and resolves to one Float32Array per
 * text, in order. It rejects with (see ./ollama-errors.ts for the full table):
 * - DependencyError, retriable: host down, 5xx/503 busy, 429, or no answer within `timeoutMs`
 *   (code DEPENDENCY_TIMEOUT);
 * - PipelineError EMBEDDER_REJECTED_INPUT / EMBEDDER_BAD_RESPONSE, not retriable: the server
 *   refused an input (4xx), or the answer is invalid (count, dimension mismatch between vectors,
 *   NaN/Infinity) — bisect with `embedWithBisect` to find the input;
 * - ConfigError (CONFIG_INVALID): model not pulled, not an embedding model, every vector of
 *   another dimension than `dimension`, access refused — fix the configuration, do not retry;
 * - PipelineError SHUTDOWN (retriable) when `signal` aborts or the embedder is closed.
 *
 * `close()` aborts requests in flight and makes later calls fail with SHUTDOWN; idempotent.
 *
 * @throws ConfigError for empty/invalid hosts, empty model, dimension < 2, timeoutMs ≤ 0 or an
 *   invalid keep-alive.
 */
export function createOllamaEmbedder(options: OllamaEmbedderOptions): Embedder {
  const { model, dimension, timeoutMs, truncate = true, hostPenaltyMs = 2_000 } = options;
  const hosts = checkHosts(options.hosts);
  if (typeof model !== 'string' || model.trim() === '') throw new ConfigError('EMBED_MODEL is empty: name an Ollama embedding model, e.g. all-minilm.');
  if (dimension !== 'any' && (!Number.isInteger(dimension) || dimension < 2)) throw new ConfigError(`EMBED_DIM=${String(dimension)} is invalid: use the model's dimension (all-minilm: 384), or leave it unset to take the model's.`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ConfigError(`EMBED_TIMEOUT_MS=${String(timeoutMs)} is invalid: use a positive number of milliseconds, e.g. 30000.`);
  const keepAlive = parseKeepAlive(options.keepAlive);
  const baseFetch = options.fetch ?? globalThis.fetch;
  const pool = new HostPool(hosts, { penaltyMs: hostPenaltyMs });
  const lifetime = new AbortController();

  async function embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (signal?.aborted) throw abortedByCaller(signal);
    if (lifetime.signal.aborted) throw abortedByCaller(lifetime.signal);
    if (texts.length === 0) return [];

    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    const cancel = (event: Event) => request.abort((event.target as AbortSignal).reason);
    signal?.addEventListener('abort', cancel, { once: true });
    lifetime.signal.addEventListener('abort', cancel, { once: true });

    const lease = pool.acquire();
    const client = new Ollama({ host: lease.url, fetch: (input, init) => baseFetch(input, { ...init, signal: request.signal }) });
    let failed = false;
    let response: unknown;
    try {
      response = await client.embed({ model, input: [...texts], truncate, keep_alive: keepAlive });
    } catch (error) {
      const cancelled = Boolean(signal?.aborted || lifetime.signal.aborted) && !timedOut;
      const classified = classifyOllamaError(error, { host: lease.url, model, timeoutMs, timedOut, cancelled });
      failed = classified.retriable && classified.code !== 'SHUTDOWN';
      throw classified;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
      lifetime.signal.removeEventListener('abort', cancel);
      lease.release(failed);
    }
    return toVectors(response, { host: lease.url, model, count: texts.length, dimension });
  }

  return {
    model,
    dimension: dimension === 'any' ? Number.NaN : dimension,
    kind: 'semantic',
    embed,
    close: async () => {
      lifetime.abort(new DOMException('embedder closed', 'AbortError'));
    },
  };
}
