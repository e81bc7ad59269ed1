/**
 * The shape of a dependency retry policy and its defaults (src/engine/backoff.ts applies it;
 * ./presets.ts sets it per PROFILE; RETRY_DEADLINE_MS bounds it).
 */
export interface RetryPolicy {
  /** First delay. @defaultValue 200 ms */
  initialMs: number;
  /** Upper bound of one delay. @defaultValue 30_000 ms */
  maxMs: number;
  /** Growth per attempt. @defaultValue 2 */
  factor: number;
  /** Attempts before giving up; Infinity retries until aborted (dependency outages). @defaultValue Infinity */
  maxAttempts: number;
  /**
   * How long one failing call is retried, ms from its first failure; then the failure is
   * rethrown (still retriable: the runner halts, it does not dead-letter).
   * @defaultValue Infinity (an outage is waited out)
   */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialMs: 200, maxMs: 30_000, factor: 2, maxAttempts: Number.POSITIVE_INFINITY, deadlineMs: Number.POSITIVE_INFINITY };

/** How long `era-ingest run` retries a failing dependency when RETRY_DEADLINE_MS is not set, ms. */
export const RUN_RETRY_DEADLINE_MS = 300_000;
