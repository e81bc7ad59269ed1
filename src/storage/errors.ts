/**
 * Database error classification, shared by the `pg` and PGlite clients. The flag is decided
 * here, once, at the boundary: callers read `retriable`, never the message text.
 */
import { DependencyError, PipelineError, isProgrammerError } from '../errors/pipeline-error.ts';

/** A SQL error that will fail again on retry (constraint, syntax, bad value): poison. */
export class SqlError extends PipelineError {
  constructor(
    message: string,
    /** SQLSTATE (e.g. `23505`), when the server sent one. */
    readonly sqlState: string | undefined,
    cause?: unknown,
  ) {
    super('INTERNAL', `postgres: ${message}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`, { cause });
  }
}

/**
 * SQLSTATEs that describe the server or the connection, not the statement: retry later.
 * Class 08 connection exception, 53 insufficient resources (53300 too many connections),
 * 57P01-57P03 shutdown / cannot connect now, 58 system error, 40001 serialization failure,
 * 40P01 deadlock, 55P03 lock timeout, 25006 read-only transaction (failover to a replica).
 */
const RETRIABLE_STATE = /^(08|53|58)|^(57P01|57P02|57P03|40001|40P01|55P03|25006)$/;
/** Statement timeout / cancel: the dependency was too slow. */
const TIMEOUT_STATE = '57014';
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'ENOTFOUND', 'ECONNABORTED',
]);
/** node-postgres connection failures that carry no code. */
const CONNECTION_MESSAGE =
  /connection terminated|connection ended|encountered a connection error|not queryable|timeout exceeded when trying to connect|connection timeout/i;

/**
 * Normalises anything a database client threw. PipelineErrors and programmer errors
 * (TypeError, RangeError, SyntaxError) pass through unchanged.
 */
export function classifyDbError(error: unknown): unknown {
  if (error instanceof PipelineError || isProgrammerError(error)) return error;
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (code === TIMEOUT_STATE) return new DependencyError('postgres', message, error, 'DEPENDENCY_TIMEOUT');
  if (code && (NETWORK_CODES.has(code) || (code.length === 5 && RETRIABLE_STATE.test(code)))) {
    return new DependencyError('postgres', `${message} (${code})`, error);
  }
  if (!code && CONNECTION_MESSAGE.test(message)) return new DependencyError('postgres', message, error);
  return new SqlError(message, code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined, error);
}
