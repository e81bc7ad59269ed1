import { PipelineError } from '../errors/pipeline-error.ts';

/**
 * The error an embedder throws when the caller's signal aborts (shutdown, rebalance) or the
 * embedder is closed: code SHUTDOWN, retriable, so the work it interrupted is redone later and
 * never dead-lettered.
 */
export function shutdownError(cause?: unknown): PipelineError {
  return new PipelineError('SHUTDOWN', 'embedding aborted by the caller', { retriable: true, cause });
}

/** {@link shutdownError} for an aborted `signal`, its reason as the cause. */
export function abortedByCaller(signal: AbortSignal): PipelineError {
  return shutdownError(signal.reason);
}

/**
 * The lifetime of an embedder that holds requests in flight: `signal` aborts on `close()`, which
 * is idempotent and never rejects. Give `signal` to every request's deadline.
 */
export function embedderLifetime(): { readonly signal: AbortSignal; close(): Promise<void> } {
  const lifetime = new AbortController();
  return {
    signal: lifetime.signal,
    close: async () => lifetime.abort(new DOMException('embedder closed', 'AbortError')),
  };
}

/** Throws {@link abortedByCaller} for the first of `signals` that has already aborted. */
export function throwIfAborted(...signals: readonly (AbortSignal | undefined)[]): void {
  for (const signal of signals) if (signal?.aborted) throw abortedByCaller(signal);
}
