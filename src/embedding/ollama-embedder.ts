/**
 * Semantic embeddings from one or more Ollama servers through the `ollama` npm client
 * (`POST /api/embed` with an input array). DESIGN.md §6.
 *
 * Timeouts: the client passes no AbortSignal for non-streaming calls, but it accepts a custom
 * `fetch` (node_modules/ollama/src/browser.ts, `config.fetch`). Each call therefore gets a
 * lightweight client whose fetch carries the signal of that call's deadline
 * (./request-deadline.ts), which covers connecting, waiting for headers and reading the body.
 */
import { Ollama } from 'ollama';
import { ConfigError } from '../errors/pipeline-error.ts';
import { embedderLifetime, throwIfAborted } from './aborted.ts';
import { checkHttpUrl, checkModelOptions } from './embedder-options.ts';
import { HostPool } from './host-pool.ts';
import { classifyOllamaError } from './ollama-errors.ts';
import { startRequestDeadline } from './request-deadline.ts';
import type { Embedder } from './types.ts';
import { toVectors } from './vectors.ts';

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
  return hosts.map((host) => checkHttpUrl(host, 'OLLAMA_HOST entry', 'http://127.0.0.1:11434'));
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
  checkModelOptions({ model, dimension, timeoutMs }, 'an Ollama embedding model, e.g. all-minilm');
  const keepAlive = parseKeepAlive(options.keepAlive);
  const baseFetch = options.fetch ?? globalThis.fetch;
  const pool = new HostPool(hosts, { penaltyMs: hostPenaltyMs });
  const lifetime = embedderLifetime();

  async function embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    throwIfAborted(signal, lifetime.signal);
    if (texts.length === 0) return [];

    const lease = pool.acquire();
    const deadline = startRequestDeadline(timeoutMs, [signal, lifetime.signal], lease.answers);
    const client = new Ollama({ host: lease.url, fetch: (input, init) => baseFetch(input, { ...init, signal: deadline.signal }) });
    let failed = false;
    let response: unknown;
    try {
      response = await client.embed({ model, input: [...texts], truncate, keep_alive: keepAlive });
      lease.answers.answered(deadline.sentAt);
    } catch (error) {
      if (typeof (error as { status_code?: unknown }).status_code === 'number') lease.answers.answered(deadline.sentAt); // an HTTP answer, if an error
      const classified = classifyOllamaError(error, { host: lease.url, model, timeoutMs, timedOut: deadline.timedOut, cancelled: deadline.cancelled });
      failed = classified.retriable && classified.code !== 'SHUTDOWN';
      throw classified;
    } finally {
      deadline.dispose();
      lease.release(failed);
    }
    const embeddings = (response as { embeddings?: unknown } | null)?.embeddings;
    return toVectors(embeddings, { source: `ollama ${lease.url} (model ${model})`, count: texts.length, dimension });
  }

  return { model, dimension: dimension === 'any' ? Number.NaN : dimension, kind: 'semantic', embed, close: lifetime.close };
}
