/**
 * Turns whatever the `ollama` client threw into the pipeline's error model, so retry logic reads
 * a flag and never the message text. Reading the server's message happens here, once, because
 * Ollama reports some non-retriable conditions only through the text of a 4xx/5xx body
 * (server/routes.go `EmbedHandler`, `handleScheduleError`).
 *
 * | what happened                                   | result                                      |
 * |-------------------------------------------------|---------------------------------------------|
 * | our timeout fired                               | DependencyError DEPENDENCY_TIMEOUT (retry)  |
 * | the caller's signal aborted / embedder closed   | PipelineError SHUTDOWN, retriable           |
 * | connection refused/reset, DNS, socket closed    | DependencyError DEPENDENCY_UNAVAILABLE      |
 * | 408, 425, 429, 499, 5xx (503 = queue full)      | DependencyError DEPENDENCY_UNAVAILABLE      |
 * | 404, 401/403, "not found" model, "does not support" | ConfigError CONFIG_INVALID (halt, fix)   |
 * | "NaN"/"Inf" in the embedding (400 or 500)        | EMBEDDER_BAD_RESPONSE (poison)              |
 * | other 4xx, e.g. 400 context length, 413         | EMBEDDER_REJECTED_INPUT (poison)            |
 * | 5xx "exceeds … context length" (older Ollama)   | EMBEDDER_REJECTED_INPUT (poison)            |
 * | 200 with a body that is not JSON                | EMBEDDER_BAD_RESPONSE (poison)              |
 * | anything else thrown by the HTTP layer          | DependencyError DEPENDENCY_UNAVAILABLE      |
 */
import { ConfigError, DependencyError, PipelineError } from '../errors/pipeline-error.ts';

export interface OllamaCallContext {
  host: string;
  model: string;
  timeoutMs: number;
  /** Our timeout fired for this request. */
  timedOut: boolean;
  /** The caller's signal aborted (or the embedder was closed): shutdown, not a dependency failure. */
  cancelled: boolean;
}

/** The shape of the client's `ResponseError` (not exported by `ollama`). */
interface ResponseErrorLike {
  name: string;
  message: string;
  status_code: number;
}

/**
 * Ollama (Go's encoding/json) cannot encode NaN and answers 500 "json: unsupported value: NaN"
 * (ollama/ollama#9639, #15582); newer versions check first and answer 400 "embedding contains NaN
 * or Inf values". Both are properties of the input on that model, not an outage.
 */
const NON_FINITE = /unsupported value: [-+]?(NaN|Inf)|contains NaN|NaN or Inf/i;
const TOO_LONG = /exceeds (the )?(maximum )?context length|input length exceeds/i;
const MODEL_MISSING = /model ["'].*["'] not found|not found, try pulling it first/i;
const NOT_CAPABLE = /does not support/i;
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

function isResponseError(error: unknown): error is ResponseErrorLike {
  return error instanceof Error && typeof (error as Partial<ResponseErrorLike>).status_code === 'number';
}

/** The first `code` along the `cause` chain (fetch wraps socket errors in TypeError('fetch failed')). */
export function networkCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** Classifies a failed `/api/embed` call; see the table at the top of this file. */
export function classifyOllamaError(error: unknown, ctx: OllamaCallContext): PipelineError {
  const dependency = `ollama ${ctx.host}`;
  if (ctx.cancelled) {
    return new PipelineError('SHUTDOWN', 'embedding aborted by the caller', { retriable: true, cause: error });
  }
  if (ctx.timedOut) {
    return new DependencyError(dependency, `no answer to /api/embed within ${ctx.timeoutMs} ms (EMBED_TIMEOUT_MS)`, error, 'DEPENDENCY_TIMEOUT');
  }
  if (error instanceof PipelineError) return error;
  if (isResponseError(error)) return classifyStatus(error.status_code, error.message, error, ctx);
  if (error instanceof SyntaxError) {
    return new PipelineError('EMBEDDER_BAD_RESPONSE', `${dependency} answered /api/embed with a body that is not JSON: ${error.message}`, { cause: error });
  }
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return new DependencyError(dependency, code ? `${code} (${message}); is Ollama running there?` : message, error);
}

function classifyStatus(status: number, serverMessage: string, cause: unknown, ctx: OllamaCallContext): PipelineError {
  const dependency = `ollama ${ctx.host}`;
  const said = `${status} ${JSON.stringify(serverMessage)}`;
  if (NON_FINITE.test(serverMessage)) {
    return new PipelineError('EMBEDDER_BAD_RESPONSE', `${dependency}: the model produced NaN/Inf for this input (${said})`, { cause });
  }
  if (status === 401 || status === 403) {
    return new ConfigError(`OLLAMA_HOST: ${dependency} refused access (${said}); check the credentials of the proxy in front of Ollama.`);
  }
  if (status === 404 && !MODEL_MISSING.test(serverMessage)) {
    return new ConfigError(`OLLAMA_HOST: ${dependency} has no /api/embed (${said}); it is not an Ollama server, or an Ollama older than 0.3 (upgrade it).`);
  }
  if (status === 404 || MODEL_MISSING.test(serverMessage)) {
    return new ConfigError(
      `EMBED_MODEL=${ctx.model}: ${dependency} does not have this model (${said}). ` +
        `Run \`ollama pull ${ctx.model}\` on that host, or set EMBED_MODEL to a model listed by \`ollama list\`.`,
    );
  }
  if (NOT_CAPABLE.test(serverMessage)) {
    return new ConfigError(`EMBED_MODEL=${ctx.model}: ${dependency} cannot embed with this model (${said}). Use an embedding model, e.g. all-minilm or nomic-embed-text.`);
  }
  if (status === 408 || status === 425 || status === 429 || status === 499 || status >= 500) {
    if (TOO_LONG.test(serverMessage)) {
      return new PipelineError('EMBEDDER_REJECTED_INPUT', `${dependency} rejected the input (${said})`, { cause });
    }
    return new DependencyError(dependency, `/api/embed failed with ${said}`, cause);
  }
  if (status >= 400) {
    return new PipelineError('EMBEDDER_REJECTED_INPUT', `${dependency} rejected the input (${said})`, { cause });
  }
  return new DependencyError(dependency, `/api/embed answered with unexpected status ${said}`, cause);
}
