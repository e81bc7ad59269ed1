/**
 * One error hierarchy for the pipeline (after KafkaJS's KafkaJSError): every error carries a
 * stable `code`, a `retriable` flag and an optional `cause`. Retry logic reads the flag, never
 * the message text. Non-retriable = poison: it goes to the DLQ. Retriable = a dependency is
 * unwell: retry with backoff while the partition is paused, never dead-letter.
 */
export type ErrorCode =
  | 'UNDECODABLE'
  | 'INVALID_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'EMPTY_DOCUMENT'
  | 'EMBEDDER_REJECTED_INPUT'
  | 'EMBEDDER_BAD_RESPONSE'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'DEPENDENCY_TIMEOUT'
  | 'CONFIG_INVALID'
  | 'CONFLICT'
  | 'DLQ_LIMIT_EXCEEDED'
  | 'SHUTDOWN'
  | 'INTERNAL';

export interface PipelineErrorOptions {
  retriable?: boolean;
  cause?: unknown;
}

export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, { retriable = false, cause }: PipelineErrorOptions = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = retriable;
  }
}

/** The bytes of a message cannot be decoded (bad UTF-8, not JSON, unknown codec version). */
export class DecodeError extends PipelineError {
  constructor(message: string, cause?: unknown) {
    super('UNDECODABLE', message, { cause });
  }
}

/** The message decodes but breaks the contract (missing field, wrong type, id/key mismatch). */
export class ValidationError extends PipelineError {
  constructor(message: string, readonly issues: string[] = [], code: ErrorCode = 'INVALID_MESSAGE') {
    super(code, issues.length ? `${message}: ${issues.join('; ')}` : message);
  }
}

/** A value larger than the configured limit. */
export class OversizeError extends PipelineError {
  constructor(readonly sizeBytes: number, readonly limitBytes: number, what = 'message') {
    super('MESSAGE_TOO_LARGE', `${what} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes`);
  }
}

/** A dependency (broker, database, embedder) failed in a way that may pass: retry, never DLQ. */
export class DependencyError extends PipelineError {
  constructor(readonly dependency: string, message: string, cause?: unknown, code: ErrorCode = 'DEPENDENCY_UNAVAILABLE') {
    super(code, `${dependency}: ${message}`, { retriable: true, cause });
  }
}

/** Configuration that cannot work; the message names the setting, the value and the fix. */
export class ConfigError extends PipelineError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/**
 * An operation refused in the current state, not for its configuration: a group that still has
 * members, a run of the same work already in progress. Exit code 1 (a failure to retry once the
 * other party is gone), where CONFIG_INVALID is a usage error (2).
 */
export class ConflictError extends PipelineError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** Programmer errors are never retried (KafkaJS does the same). */
export function isProgrammerError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError && !(error instanceof PipelineError);
}

/** True when the failure may pass by itself and must be retried rather than dead-lettered. */
export function isRetriable(error: unknown): boolean {
  return error instanceof PipelineError ? error.retriable : false;
}

/** Normalises anything thrown into a PipelineError; unknown errors are INTERNAL and not retriable. */
export function toPipelineError(error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PipelineError('INTERNAL', message, { cause: error });
}
