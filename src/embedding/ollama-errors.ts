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
 * | 408, 409, 425, 429, 499, 5xx (503 = queue full) | DependencyError DEPENDENCY_UNAVAILABLE      |
 * | 404, 401/403, "not found" model, "does not support" | ConfigError CONFIG_INVALID (halt, fix)   |
 * | "NaN"/"Inf" in the embedding (400 or 500)        | EMBEDDER_BAD_RESPONSE (poison)              |
 * | other 4xx, e.g. 400 context length, 413         | EMBEDDER_REJECTED_INPUT (poison)            |
 * | 5xx "exceeds … context length" (older Ollama)   | EMBEDDER_REJECTED_INPUT (poison)            |
 * | 200 with a body that is not JSON                | EMBEDDER_BAD_RESPONSE (poison)              |
 * | anything else thrown by the HTTP layer          | DependencyError DEPENDENCY_UNAVAILABLE      |
 */
import { ConfigError, DependencyError, PipelineError } from '../errors/pipeline-error.ts';
import { isRetriableStatus, MODEL_MISSING, networkCode, NON_FINITE, NOT_CAPABLE, TOO_LONG } from './failure-patterns.ts';
import { interruptionError, type Interruption } from './request-deadline.ts';

export interface OllamaCallContext extends Interruption {
  host: string;
  model: string;
}

/** The shape of the client's `ResponseError` (not exported by `ollama`). */
interface ResponseErrorLike {
  name: string;
  message: string;
  status_code: number;
}

function isResponseError(error: unknown): error is ResponseErrorLike {
  return error instanceof Error && typeof (error as Partial<ResponseErrorLike>).status_code === 'number';
}

/** Classifies a failed `/api/embed` call; see the table at the top of this file. */
export function classifyOllamaError(error: unknown, ctx: OllamaCallContext): PipelineError {
  const dependency = `ollama ${ctx.host}`;
  const interrupted = interruptionError(ctx, dependency, '/api/embed', error);
  if (interrupted) return interrupted;
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
  if (isRetriableStatus(status)) {
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
