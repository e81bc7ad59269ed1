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
 * | connection refused/reset, DNS, socket closed    | DependencyError DEPENDENCY_UNAVAILABLE, the cause in words and what to check |
 * | 408, 409, 425, 429, 499, 5xx (503 = queue full) | DependencyError DEPENDENCY_UNAVAILABLE      |
 * | 404, 401/403, "not found" model, "does not support" | ConfigError CONFIG_INVALID (halt, fix)   |
 * | "NaN"/"Inf" in the embedding (400 or 500)        | EMBEDDER_BAD_RESPONSE (poison)              |
 * | other 4xx, e.g. 400 context length, 413         | EMBEDDER_REJECTED_INPUT (poison)            |
 * | 5xx "exceeds … context length" (older Ollama)   | EMBEDDER_REJECTED_INPUT (poison)            |
 * | 200 with a body that is not JSON                | EMBEDDER_BAD_RESPONSE (poison)              |
 * | anything else thrown by the HTTP layer          | DependencyError DEPENDENCY_UNAVAILABLE      |
 */
import { ConfigError, DependencyError, PipelineError } from '../errors/pipeline-error.ts';
import { describeFailure, isRetriableStatus, MODEL_MISSING, NON_FINITE, NOT_CAPABLE, TOO_LONG, type NetworkFailureKind } from './failure-patterns.ts';
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

/** What to check when the host cannot be reached, by the kind of network failure. */
const UNREACHABLE_HINTS: Record<NetworkFailureKind, string> = {
  refused: 'nothing listens there: start Ollama (`ollama serve`), or set OLLAMA_HOST to the address it listens on',
  dns: 'check the host name in OLLAMA_HOST, and the DNS of this machine',
  timeout: 'is the host up, and does a firewall let its port through?',
  closed: 'is it Ollama, and did it stop or restart? (see its log)',
  unreachable: 'check the address in OLLAMA_HOST and the network route to it',
};

/** Who was asked, for every message: the server and the setting that named it. */
const dependencyOf = (ctx: Pick<OllamaCallContext, 'host'>): string => `ollama ${ctx.host} (OLLAMA_HOST)`;

/** Classifies a failed `/api/embed` call; see the table at the top of this file. */
export function classifyOllamaError(error: unknown, ctx: OllamaCallContext): PipelineError {
  const dependency = dependencyOf(ctx);
  const interrupted = interruptionError(ctx, dependency, '/api/embed', error);
  if (interrupted) return interrupted;
  if (error instanceof PipelineError) return error;
  if (isResponseError(error)) return classifyStatus(error.status_code, error.message, error, ctx);
  if (error instanceof SyntaxError) {
    return new PipelineError('EMBEDDER_BAD_RESPONSE', `${dependency} answered /api/embed with a body that is not JSON: ${error.message}`, { cause: error });
  }
  const { text, kind } = describeFailure(error);
  return new DependencyError(dependency, `${text}; ${kind ? UNREACHABLE_HINTS[kind] : 'is Ollama running there, and is OLLAMA_HOST its address?'}`, error);
}

function classifyStatus(status: number, serverMessage: string, cause: unknown, ctx: OllamaCallContext): PipelineError {
  const dependency = dependencyOf(ctx);
  const said = `${status} ${JSON.stringify(serverMessage)}`;
  if (NON_FINITE.test(serverMessage)) {
    return new PipelineError('EMBEDDER_BAD_RESPONSE', `${dependency}: the model produced NaN/Inf for this input (${said})`, { cause });
  }
  if (status === 401 || status === 403) {
    return new ConfigError(`${dependency} refused access (${said}); check the credentials of the proxy in front of Ollama.`);
  }
  if (status === 404 && !MODEL_MISSING.test(serverMessage)) {
    return new ConfigError(`${dependency} has no /api/embed (${said}); it is not an Ollama server, or an Ollama older than 0.3 (upgrade it).`);
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
