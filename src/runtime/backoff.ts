import { isRetriable, PipelineError } from '../errors/pipeline-error.ts';

export interface RetryPolicy {
  /** First delay. @defaultValue 200 ms */
  initialMs: number;
  /** Upper bound of one delay. @defaultValue 30_000 ms */
  maxMs: number;
  /** Growth per attempt. @defaultValue 2 */
  factor: number;
  /** Attempts before giving up; Infinity retries until aborted (dependency outages). @defaultValue Infinity */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialMs: 200, maxMs: 30_000, factor: 2, maxAttempts: Number.POSITIVE_INFINITY };

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
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt + 1 };
    } catch (error) {
      if (!isRetriable(error) || attempt + 1 >= policy.maxAttempts || hooks.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, policy);
      hooks.onRetry?.(error, attempt + 1, delay);
      await abortableSleep(delay, hooks.signal);
    }
  }
}
