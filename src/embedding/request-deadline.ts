/**
 * The deadline of one embedding request: the one place where a request's timeout, the caller's
 * signal and the embedder's lifetime meet, shared by every HTTP embedder (Ollama, OpenAI-
 * compatible). How a request times out is decided here and nowhere else.
 *
 * A request times out on lack of progress, not on queueing: one Ollama answers one batch at a
 * time, so a request sent while others run waits its turn inside the server. It is given up
 * only when `timeoutMs` passed since it was sent *and* since the server last answered anything
 * to this process (`AnswerClock`, one per server), so a long queue that moves never times out
 * and a server that stops answering is noticed within `timeoutMs`. A queue that moves past a
 * request is no excuse for it: once it is older than `timeoutMs` and a request sent after it has
 * been answered, it is given up too (a server that answers in order has lost it; one that answers
 * in parallel has taken longer than allowed) — noticed within one more `timeoutMs`. Without this
 * a request the server never answers waits for as long as the others keep the server busy
 * (seen with a real Ollama under load: one input in flight for 428 s).
 *
 * Contract: call {@link startRequestDeadline} just before sending and give the HTTP client its
 * `signal`, which covers connecting, waiting for headers and reading the body. The signal aborts
 * on the deadline above (reason: a `TimeoutError` DOMException) or when one of the given signals
 * aborts (its reason). Whichever comes first decides: `timedOut` or `cancelled`, never both.
 * Call `answered(deadline.sentAt)` on the clock when the server sent a response (any status), and `dispose()`
 * once the request settled (in `finally`): it stops the timer and unhooks the listeners;
 * idempotent. Nothing here blocks or throws.
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
  /** When the request was sent (ms epoch): give it to `AnswerClock.answered`. */
  readonly sentAt: number;
  dispose(): void;
}

/** When a server last answered this process (any response): the progress requests wait on. */
export class AnswerClock {
  #last = Number.NEGATIVE_INFINITY;
  #latestSent = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The server sent a response (success or an HTTP error: it is alive and working) to the
   * request sent at `sentAt` (its deadline's `sentAt`; unknown: it overtakes nothing).
   */
  answered(sentAt = Number.NEGATIVE_INFINITY): void {
    this.#last = this.now();
    this.#latestSent = Math.max(this.#latestSent, sentAt);
  }

  /** Send time of the latest-sent request answered so far; -Infinity before the first. */
  get latestAnsweredSentAt(): number {
    return this.#latestSent;
  }

  /** ms epoch of the last answer; -Infinity before the first. */
  get lastAnswerAt(): number {
    return this.#last;
  }
}

/**
 * Starts the deadline of one request.
 *
 * @param timeoutMs how long the request may go without progress (EMBED_TIMEOUT_MS): from now,
 *   or from the server's last answer (`clock`), whichever is later.
 * @param signals the caller's signal and the embedder's lifetime signal (undefined ones are
 *   skipped). Callers check them first with `throwIfAborted`: one already aborted here aborts
 *   the request at once as `cancelled`.
 * @param clock the server's answers; without it the deadline is `timeoutMs` from now.
 */
export function startRequestDeadline(timeoutMs: number, signals: readonly (AbortSignal | undefined)[], clock?: AnswerClock, now: () => number = Date.now): RequestDeadline {
  const request = new AbortController();
  let why: 'timeout' | 'cancelled' | undefined;
  const sent = now();
  const check = (): void => {
    const at = now();
    const age = at - sent;
    const idle = at - Math.max(sent, clock?.lastAnswerAt ?? Number.NEGATIVE_INFINITY);
    const overtaken = (clock?.latestAnsweredSentAt ?? Number.NEGATIVE_INFINITY) > sent;
    if (idle < timeoutMs && !(overtaken && age >= timeoutMs)) {
      // The server answered meanwhile: wait on, and look again when this request comes of age.
      timer = setTimeout(check, age < timeoutMs ? Math.min(timeoutMs - idle, timeoutMs - age) : timeoutMs - idle);
      return;
    }
    why ??= 'timeout';
    request.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  };
  let timer = setTimeout(check, timeoutMs);
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
    sentAt: sent,
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
    return new DependencyError(dependency, `timed out: no answer to ${operation} within ${state.timeoutMs} ms (EMBED_TIMEOUT_MS)`, cause, 'DEPENDENCY_TIMEOUT');
  }
  return undefined;
}
