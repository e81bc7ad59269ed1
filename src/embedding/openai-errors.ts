/**
 * Turns whatever the `openai` client threw for `POST {OPENAI_BASE_URL}/embeddings` into the
 * pipeline's error model, so retry logic reads a flag and never the message text. The servers
 * behind this API (OpenAI, vLLM, TEI, LiteLLM, Ollama's `/v1`) agree on status codes but not on
 * every word, so a few conditions are read from the server's message, here and only here.
 *
 * | what happened                                             | result                                          |
 * |-----------------------------------------------------------|-------------------------------------------------|
 * | our deadline fired (EMBED_TIMEOUT_MS)                     | DependencyError DEPENDENCY_TIMEOUT (retry)      |
 * | the caller's signal aborted / embedder closed             | PipelineError SHUTDOWN, retriable               |
 * | connection refused/reset, DNS, socket closed              | DependencyError DEPENDENCY_UNAVAILABLE (retry)  |
 * | 408, 409, 425, 429 (rate limit, quota), 499, 5xx          | DependencyError DEPENDENCY_UNAVAILABLE (retry)  |
 * | 401, 403                                                  | ConfigError naming OPENAI_API_KEY (halt, fix)   |
 * | 400/422 about `dimensions` when OPENAI_SEND_DIMENSIONS    | ConfigError naming OPENAI_SEND_DIMENSIONS       |
 * | unknown model (404, or any status saying so), not an embedding model | ConfigError naming EMBED_MODEL       |
 * | 404 of the route itself ("page not found", empty body)    | ConfigError naming OPENAI_BASE_URL              |
 * | "NaN"/"Inf" in the embedding (Ollama, 400 or 500)         | EMBEDDER_BAD_RESPONSE (poison)                  |
 * | other 4xx: 400 context length, 413, 422 invalid input     | EMBEDDER_REJECTED_INPUT (poison: bisected)      |
 * | 5xx "exceeds … context length"                            | EMBEDDER_REJECTED_INPUT (poison: bisected)      |
 * | 200 with a body that is not JSON                          | EMBEDDER_BAD_RESPONSE (poison)                  |
 * | anything else thrown by the HTTP layer                    | DependencyError DEPENDENCY_UNAVAILABLE (retry)  |
 *
 * The API key never appears in a message: servers quote it (OpenAI's 401 shows a masked
 * `sk-…`), so every text taken from a server is passed through {@link redact}.
 */
import { APIConnectionError, APIError } from 'openai';
import { ConfigError, DependencyError, PipelineError } from '../errors/pipeline-error.ts';
import { describeFailure, isRetriableStatus, MODEL_MISSING, NON_FINITE, NOT_CAPABLE, TOO_LONG } from './failure-patterns.ts';
import { interruptionError, type Interruption } from './request-deadline.ts';

export interface OpenAICallContext extends Interruption {
  baseUrl: string;
  model: string;
  dimension: number | 'any';
  /** The request carried `dimensions` (OPENAI_SEND_DIMENSIONS=true). */
  sentDimensions: boolean;
  /** OPENAI_API_KEY, cut out of every text shown; undefined when none is sent. */
  apiKey: string | undefined;
}

/** OpenAI, vLLM ("The model `x` does not exist"), LiteLLM ("Invalid model name"), Ollama. */
const MODEL_UNKNOWN = /model [`"'].*[`"'] does not exist|does not exist or you do not have access|invalid model|model_not_found/i;
/** What a server says when it has no such route: Go's mux, Starlette/FastAPI, nginx, or no body at all. */
const NO_ROUTE = /page not found|^"?not found"?$|^404 not found|status code \(no body\)/i;
/** A refusal of `dimensions` (OpenAI: "does not support specifying dimensions"; vLLM: "matryoshka"). */
const DIMENSIONS_REFUSED = /dimension|matryoshka/i;
/** Key-like tokens (OpenAI, LiteLLM and most proxies issue `sk-…` keys). */
const KEY_LIKE = /\bsk-[A-Za-z0-9_*.-]{3,}/g;

/** `text` without the API key or anything that looks like one. */
export function redact(text: string, apiKey: string | undefined): string {
  const withoutKey = apiKey ? text.replaceAll(apiKey, '***') : text;
  return withoutKey.replace(KEY_LIKE, 'sk-***');
}

/** The server's own words from an APIError (its `error.message`, or the body as text). */
function serverText(error: APIError): string {
  const body = error.error as { message?: unknown } | string | undefined;
  if (typeof body === 'string') return body;
  if (typeof body?.message === 'string') return body.message;
  return error.message.replace(/^\d{3} /, '');
}

/** Classifies a failed embeddings call; see the table at the top of this file. */
export function classifyOpenAIError(error: unknown, ctx: OpenAICallContext): PipelineError {
  const dependency = `openai ${ctx.baseUrl}`;
  const interrupted = interruptionError(ctx, dependency, 'POST /embeddings', error);
  if (interrupted) return interrupted;
  if (error instanceof PipelineError) return error;
  if (error instanceof APIError && !(error instanceof APIConnectionError) && typeof error.status === 'number') {
    const code = typeof error.code === 'string' ? error.code : '';
    return classifyStatus(error.status, redact(serverText(error), ctx.apiKey), code, error, ctx);
  }
  if (error instanceof SyntaxError) {
    return new PipelineError('EMBEDDER_BAD_RESPONSE', `${dependency} answered /embeddings with a body that is not JSON: ${redact(error.message, ctx.apiKey)}`, { cause: error });
  }
  return new DependencyError(dependency, `${redact(describeFailure(error).text, ctx.apiKey)}; is the server running there (OPENAI_BASE_URL)?`, error);
}

function classifyStatus(status: number, text: string, code: string, cause: unknown, ctx: OpenAICallContext): PipelineError {
  const dependency = `openai ${ctx.baseUrl}`;
  const said = `${status} ${JSON.stringify(text)}`;
  if (NON_FINITE.test(text)) {
    return new PipelineError('EMBEDDER_BAD_RESPONSE', `${dependency}: the model produced NaN/Inf for this input (${said})`, { cause });
  }
  if (status === 401 || status === 403) {
    const fix = ctx.apiKey === undefined ? 'the server wants a key: set OPENAI_API_KEY' : `check that the key is valid and may use EMBED_MODEL=${ctx.model}`;
    return new ConfigError(`OPENAI_API_KEY: ${dependency} refused access (${said}); ${fix}.`);
  }
  if (ctx.sentDimensions && (status === 400 || status === 422) && DIMENSIONS_REFUSED.test(text)) {
    return new ConfigError(
      `OPENAI_SEND_DIMENSIONS=true: ${dependency} refused dimensions=${ctx.dimension} for EMBED_MODEL=${ctx.model} (${said}). ` +
        `This model cannot shorten its vectors: set OPENAI_SEND_DIMENSIONS=false and EMBED_DIM to the model's own dimension.`,
    );
  }
  if (code === 'model_not_found' || MODEL_UNKNOWN.test(text) || MODEL_MISSING.test(text)) {
    return new ConfigError(`EMBED_MODEL=${ctx.model}: ${dependency} does not serve this model (${said}). Set EMBED_MODEL to a model the server lists at ${ctx.baseUrl}/models (Ollama: \`ollama pull ${ctx.model}\` first).`);
  }
  if (status === 404 && NO_ROUTE.test(text)) {
    return new ConfigError(`OPENAI_BASE_URL=${ctx.baseUrl}: ${dependency} has no /embeddings (${said}). Give the API's base, which usually ends in /v1 (Ollama: http://host:11434/v1).`);
  }
  if (status === 404 || (NOT_CAPABLE.test(text) && !isRetriableStatus(status))) {
    return new ConfigError(`EMBED_MODEL=${ctx.model}: ${dependency} cannot embed with this model (${said}). Use an embedding model the server serves, or check OPENAI_BASE_URL.`);
  }
  if (isRetriableStatus(status)) {
    if (TOO_LONG.test(text)) return new PipelineError('EMBEDDER_REJECTED_INPUT', `${dependency} rejected the input (${said})`, { cause });
    return new DependencyError(dependency, `/embeddings failed with ${said}`, cause);
  }
  if (status >= 400) return new PipelineError('EMBEDDER_REJECTED_INPUT', `${dependency} rejected the input (${said})`, { cause });
  return new DependencyError(dependency, `/embeddings answered with unexpected status ${said}`, cause);
}
