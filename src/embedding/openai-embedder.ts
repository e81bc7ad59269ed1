/**
 * Semantic embeddings from any OpenAI-compatible `POST /v1/embeddings` server (OpenAI, vLLM,
 * TEI, LiteLLM, Ollama's `/v1`) through the official `openai` npm client. DESIGN.md §6.
 *
 * Wire choices, each because of a server we support:
 * - `encoding_format: 'float'` is always sent. Without it the client asks for base64 and decodes
 *   every `embedding` as base64 (node_modules/openai/resources/embeddings.js,
 *   openai/openai-node#1312). Ollama 0.11.4 ignores `encoding_format` and answers float arrays,
 *   which the client then "decodes" into garbage: 96 zeros for all-minilm's 384 floats (seen
 *   against a real Ollama). OpenAI, vLLM, TEI and LiteLLM all honour `float`; it costs about
 *   2.5× the bytes of base64 on the wire, small beside the model's time.
 * - `dimensions` only with `sendDimensions` (OPENAI_SEND_DIMENSIONS): models that cannot shorten
 *   their vectors refuse it (OpenAI: 400 for text-embedding-ada-002), and Ollama 0.11.4 ignores
 *   it (its vectors keep the model's length, reported as an EMBED_DIM error).
 * - Inputs longer than the model's context: OpenAI and vLLM refuse them (400, a rejected input
 *   the embed stage bisects to and dead-letters); Ollama's `/v1` cuts them to the context (512
 *   tokens for all-minilm) and answers 200, like `/api/embed` with truncate=true.
 *
 * Timeouts and cancellation: each call passes the signal of its deadline
 * (./request-deadline.ts) as the request's `signal`; the client's own timer is pushed out of
 * the way, so that deadline is the only one.
 */
import { OpenAI } from 'openai';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import { PipelineError } from '../errors/pipeline-error.ts';
import { embedderLifetime, throwIfAborted } from './aborted.ts';
import { checkHttpUrl, checkModelOptions, MAX_TIMER_MS } from './embedder-options.ts';
import { classifyOpenAIError } from './openai-errors.ts';
import { AnswerClock, startRequestDeadline } from './request-deadline.ts';
import type { Embedder } from './types.ts';
import { toVectors } from './vectors.ts';

export interface OpenAIEmbedderOptions {
  /**
   * Base URL of the API including its version, as OPENAI_BASE_URL: `https://api.openai.com/v1`,
   * `http://127.0.0.1:11434/v1` (Ollama). Requests go to `${baseUrl}/embeddings`.
   */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`; unset or empty = no Authorization header. Never shown in errors. */
  apiKey?: string | undefined;
  /** Model name as the server knows it (`text-embedding-3-small`, `all-minilm`). */
  model: string;
  /**
   * Expected vector length; a model that returns another length is a CONFIG_INVALID error.
   * `any` accepts the model's length (to learn it: ./dimension.ts; `dimensions` is then not sent).
   */
  dimension: number | 'any';
  /** Deadline of one request, ms, from sending to the last byte of the answer. */
  timeoutMs: number;
  /** Ask for `dimensions: dimension` (models that can shorten their vectors, e.g. text-embedding-3-*). @defaultValue false */
  sendDimensions?: boolean;
  /** The fetch implementation under the client (tests, proxies). @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * The embeddings of an answer in input order: `data` placed by each item's `index` (the API's
 * order key; a server that omits it answers in input order). Shapes this cannot order go to
 * `toVectors` as they are, which names what is wrong.
 *
 * @throws PipelineError EMBEDDER_BAD_RESPONSE on an index out of range or repeated.
 */
export function orderedEmbeddings(body: unknown, count: number, source: string): unknown {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const items = data as ({ embedding?: unknown; index?: unknown } | null)[];
  if (items.length !== count) return items.map((item) => item?.embedding);
  const out = new Array<unknown>(count);
  const seen = new Set<number>();
  items.forEach((item, i) => {
    const index = item?.index ?? i;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || seen.has(index)) {
      throw new PipelineError('EMBEDDER_BAD_RESPONSE', `${source}: data[${i}].index is ${JSON.stringify(index)}, not a new index below ${count}`);
    }
    seen.add(index);
    out[index] = item?.embedding;
  });
  return out;
}

/**
 * Creates the OpenAI-compatible embedder. Validates every option at construction (no request is
 * made; a missing model or a wrong key shows on the first request as CONFIG_INVALID).
 *
 * `embed(texts, signal)` sends all texts in one request and resolves to one Float32Array per
 * text, in order. It rejects with (see ./openai-errors.ts for the full table):
 * - DependencyError, retriable: server down, 408/409/425/429/5xx, or no answer within
 *   `timeoutMs` (code DEPENDENCY_TIMEOUT);
 * - PipelineError EMBEDDER_REJECTED_INPUT / EMBEDDER_BAD_RESPONSE, not retriable: the server
 *   refused an input (400 context length…), or the answer is invalid (count, index, mixed
 *   lengths, NaN/Infinity): bisect with `embedWithBisect` to find the input;
 * - ConfigError (CONFIG_INVALID) naming the setting: OPENAI_API_KEY (401/403), EMBED_MODEL
 *   (unknown model), EMBED_DIM (every vector of another length), OPENAI_SEND_DIMENSIONS
 *   (`dimensions` refused), OPENAI_BASE_URL (no such route);
 * - PipelineError SHUTDOWN (retriable) when `signal` aborts or the embedder is closed.
 *
 * `close()` aborts requests in flight and makes later calls fail with SHUTDOWN; idempotent.
 *
 * @throws ConfigError for a base URL that is not http(s), an empty model, dimension < 2 or an
 *   invalid timeoutMs.
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const { model, dimension, timeoutMs, sendDimensions = false } = options;
  const baseUrl = checkHttpUrl(options.baseUrl, 'OPENAI_BASE_URL', 'https://api.openai.com/v1 or http://127.0.0.1:11434/v1');
  checkModelOptions({ model, dimension, timeoutMs }, 'an embedding model the server serves, e.g. text-embedding-3-small or all-minilm');
  const apiKey = options.apiKey === '' ? undefined : options.apiKey;
  const source = `openai ${baseUrl} (model ${model})`;
  const client = new OpenAI({
    baseURL: baseUrl,
    // The client refuses to start without a key; with none, a placeholder is given and its
    // Authorization header removed (a null default header), so nothing is sent.
    apiKey: apiKey ?? 'unused',
    ...(apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
    // Explicit nulls: the client would otherwise read OPENAI_ORG_ID, OPENAI_PROJECT_ID and
    // OPENAI_ADMIN_KEY from the environment; our configuration comes from src/config. (It still
    // reads OPENAI_CUSTOM_HEADERS, which only adds headers; there is no option to stop that.)
    organization: null,
    project: null,
    adminAPIKey: null,
    // No retries in the client: the stages retry a retriable failure with backoff themselves
    // (RETRY_DEADLINE_MS, the AIMD limiter), and a hidden retry would multiply the load of an
    // overloaded server and outlast our deadline.
    maxRetries: 0,
    // The client's own per-request timer (default 10 minutes) waits as long as a Node timer can:
    // the request's deadline (./request-deadline.ts) is the one timeout.
    timeout: MAX_TIMER_MS,
    // Our logs are JSON lines on stdout; errors reach them through the error model.
    logLevel: 'off',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const lifetime = embedderLifetime();
  /** The server's answers: queued requests wait on while it answers (./request-deadline.ts). */
  const answers = new AnswerClock();
  const request = (texts: readonly string[]): EmbeddingCreateParams => ({
    model,
    input: [...texts],
    encoding_format: 'float',
    ...(sendDimensions && dimension !== 'any' ? { dimensions: dimension } : {}),
  });

  async function embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    throwIfAborted(signal, lifetime.signal);
    if (texts.length === 0) return [];

    const deadline = startRequestDeadline(timeoutMs, [signal, lifetime.signal], answers);
    let response: unknown;
    try {
      response = await client.embeddings.create(request(texts), { signal: deadline.signal });
      answers.answered(deadline.sentAt);
    } catch (error) {
      if (typeof (error as { status?: unknown }).status === 'number') answers.answered(deadline.sentAt); // an HTTP answer, if an error
      throw classifyOpenAIError(error, {
        baseUrl, model, dimension, apiKey, sentDimensions: sendDimensions, timeoutMs, timedOut: deadline.timedOut, cancelled: deadline.cancelled,
      });
    } finally {
      deadline.dispose();
    }
    return toVectors(orderedEmbeddings(response, texts.length, source), {
      source,
      count: texts.length,
      dimension,
      ...(sendDimensions ? { dimensionHint: `The request asked for dimensions=${dimension} (OPENAI_SEND_DIMENSIONS=true) and the server did not shorten the vectors: it cannot (Ollama ignores \`dimensions\`); set OPENAI_SEND_DIMENSIONS=false.` } : {}),
    });
  }

  return { model, dimension: dimension === 'any' ? Number.NaN : dimension, kind: 'semantic', embed, close: lifetime.close };
}
