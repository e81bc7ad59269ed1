/**
 * The deadline of one embedding request: the one place where a request's timeout, the caller's
 * signal and the embedder's lifetime meet, shared by every HTTP embedder (Ollama, OpenAI-
 * compatible). How a request times out is decided here and nowhere else.
 *
 * Contract: call {@link startRequestDeadline} just before sending and give the HTTP client its
 * `signal`, which covers connecting, waiting for headers and reading the body. The signal aborts
 * when `timeoutMs` pass before `dispose()` (reason: a `TimeoutError` DOMException) or when one of
 * the given signals aborts (its reason). Whichever comes first decides: `timedOut` or
 * `cancelled`, never both. Call `dispose()` once the request settled (in `finally`): it stops the
 * timer and unhooks the listeners; idempotent. Nothing here blocks or throws.
 */
import { DependencyError, type PipelineError } from '../errors/pipeline-error.ts';
import { shutdownError } from './aborted.ts';

/** Why a request's signal aborted, as the error classifiers read it. */
export interface Interruption {
  /** Our timeout fired first. */
  readonly timedOut: boolean;
  /** A caller's signal aborted first (shutdown, rebalance) or the embedder was closed. */
  readonly cancelled: boolean;
  /** The deadline, ms, for the message. */
  readonly timeoutMs: number;
}

export interface RequestDeadline extends Interruption {
  /** Aborts on the deadline or on any of the caller's signals; give it to the HTTP client. */
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Starts the deadline of one request.
 *
 * @param timeoutMs time from now until the request is given up (EMBED_TIMEOUT_MS).
 * @param signals the caller's signal and the embedder's lifetime signal (undefined ones are
 *   skipped). Callers check them first with `throwIfAborted`: one already aborted here aborts
 *   the request at once as `cancelled`.
 */
export function startRequestDeadline(timeoutMs: number, signals: readonly (AbortSignal | undefined)[]): RequestDeadline {
  const request = new AbortController();
  let why: 'timeout' | 'cancelled' | undefined;
  const timer = setTimeout(() => {
    why ??= 'timeout';
    request.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  const cancel = (event: Event) => {
    why ??= 'cancelled';
    request.abort((event.target as AbortSignal).reason);
  };
  const hooked = signals.filter((s): s is AbortSignal => s !== undefined);
  for (const s of hooked) {
    if (s.aborted) {
      why ??= 'cancelled';
      request.abort(s.reason);
    } else {
      s.addEventListener('abort', cancel, { once: true });
    }
  }
  return {
    signal: request.signal,
    timeoutMs,
    get timedOut() { return why === 'timeout'; },
    get cancelled() { return why === 'cancelled'; },
    dispose() {
      clearTimeout(timer);
      for (const s of hooked) s.removeEventListener('abort', cancel);
    },
  };
}

/**
 * The error of a request its deadline or a caller stopped, whatever the HTTP client threw:
 * PipelineError SHUTDOWN (retriable) when cancelled, DependencyError DEPENDENCY_TIMEOUT when
 * timed out; undefined when neither (classify the failure itself).
 *
 * @param dependency who was asked, e.g. `ollama http://h:11434`.
 * @param operation what was asked, e.g. `/api/embed`.
 */
export function interruptionError(state: Interruption, dependency: string, operation: string, cause: unknown): PipelineError | undefined {
  if (state.cancelled) return shutdownError(cause);
  if (state.timedOut) {
    return new DependencyError(dependency, `no answer to ${operation} within ${state.timeoutMs} ms (EMBED_TIMEOUT_MS)`, cause, 'DEPENDENCY_TIMEOUT');
  }
  return undefined;
}
