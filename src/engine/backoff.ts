/**
 * Jittered exponential backoff for dependency failures, the one retry policy of both runners:
 * retriable failures are retried, anything else is rethrown at once; a deadline (the user's
 * RETRY_DEADLINE_MS) bounds how long one failure is retried.
 */
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../config/retry-policy.ts';
import { isRetriable, PipelineError } from '../errors/pipeline-error.ts';

/** "Equal jitter" exponential backoff: uniform in [c/2, c] with c = min(max, initial·factor^attempt). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PipelineError('SHUTDOWN', 'aborted', { cause: signal.reason }));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new PipelineError('SHUTDOWN', 'aborted', { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryHooks {
  signal?: AbortSignal;
  /** Called before each wait, with the failure and the delay chosen. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds. Retriable failures (PipelineError.retriable) are retried with
 * jittered exponential backoff; anything else is rethrown at once (poison and programmer errors
 * are never retried). Rejects with a SHUTDOWN PipelineError when `signal` aborts.
 * Resolves with the value and the number of attempts made.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY, hooks: RetryHooks = {}): Promise<{ value: T; attempts: number }> {
  let firstFailure: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt + 1 };
    } catch (error) {
      if (!isRetriable(error) || attempt + 1 >= policy.maxAttempts) throw error;
      // Aborted while the attempt ran: the stop is the reason, not the failure it interrupted.
      if (hooks.signal?.aborted) throw error instanceof PipelineError && error.code === 'SHUTDOWN' ? error : new PipelineError('SHUTDOWN', 'aborted', { cause: error });
      const delay = backoffDelay(attempt, policy);
      firstFailure ??= Date.now();
      const retried = Date.now() - firstFailure;
      if (retried + delay > policy.deadlineMs) {
        const e = error as PipelineError;
        throw new PipelineError(e.code, `${e.message} (still failing after ${Math.round(retried / 1000)} s of retries; the deadline is ${policy.deadlineMs} ms: RETRY_DEADLINE_MS)`, { retriable: true, cause: error });
      }
      hooks.onRetry?.(error, attempt + 1, delay);
      await abortableSleep(delay, hooks.signal);
    }
  }
}

/**
 * Calls `fn` until it resolves, while `current()` holds (checked before each call): every
 * failure is reported to `onFailure` and retried after 200 ms, doubling to at most 10 s — for
 * questions to the broker that must be answered, however long it is away, unless what asked
 * them is over (a group join came). Resolves with the answer, or undefined once `current()`
 * no longer holds.
 */
export async function askWhile<T>(fn: () => Promise<T>, current: () => boolean, onFailure?: (error: unknown, attempt: number) => void): Promise<T | undefined> {
  for (let attempt = 0; current(); attempt++) {
    try {
      return await fn();
    } catch (error) {
      onFailure?.(error, attempt + 1);
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 200 * 2 ** attempt)));
    }
  }
  return undefined;
}
