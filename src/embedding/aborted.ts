import { PipelineError } from '../errors/pipeline-error.ts';

/**
 * The error an embedder throws when the caller's signal aborts (shutdown, rebalance): code
 * SHUTDOWN, retriable, so the work it interrupted is redone later and never dead-lettered.
 */
export function abortedByCaller(signal: AbortSignal): PipelineError {
  return new PipelineError('SHUTDOWN', 'embedding aborted by the caller', { retriable: true, cause: signal.reason });
}
