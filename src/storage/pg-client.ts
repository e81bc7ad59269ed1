/**
 * SqlClient over a node-postgres pool: the store stage's connection to real PostgreSQL.
 *
 * Vectors travel as text (`'[1,2,3]'`, see ./vector-text.ts) in both directions, so no
 * per-connection type registration is needed (pgvector's `registerTypes` is async and would
 * race the first query on a fresh pooled connection).
 */
import pg from 'pg';
import { ConfigError } from '../errors/pipeline-error.ts';
import { classifyDbError } from './errors.ts';
import type { SqlClient, SqlResult } from './sql-client.ts';

export interface PgClientOptions {
  /** Pool size (connections per process). @defaultValue 4 */
  max?: number;
  /**
   * Schema searched first (`search_path = "<schema>", public`; the `vector` extension lives in
   * public). The schema must exist. @defaultValue the server's search_path
   */
  schema?: string;
  /** Give up acquiring a connection after this long, ms (then: retriable DependencyError). @defaultValue 10_000 */
  connectionTimeoutMs?: number;
  /** Close connections idle this long, ms. @defaultValue 30_000 */
  idleTimeoutMs?: number;
  /** `statement_timeout` of every session, ms; 0 = none. @defaultValue 0 */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity. @defaultValue 'era-ingest' */
  applicationName?: string;
}

/** A SqlClient backed by pg.Pool; `pool` is exposed for wiring (metrics, LISTEN). */
export interface PgClient extends SqlClient {
  readonly kind: 'pg';
  readonly pool: pg.Pool;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/**
 * Creates a pooled client. Connects lazily: a wrong URL or a down server surfaces on the first
 * query as a retriable DependencyError.
 * @throws ConfigError when `max` or `schema` is invalid.
 */
export function createPgClient(url: string, options: PgClientOptions = {}): PgClient {
  const {
    max = 4,
    schema,
    connectionTimeoutMs = 10_000,
    idleTimeoutMs = 30_000,
    statementTimeoutMs = 0,
    applicationName = 'era-ingest',
  } = options;
  if (!Number.isInteger(max) || max < 1) {
    throw new ConfigError(`PostgreSQL pool size ${max} is invalid: set DB_POOL_SIZE to an integer of at least 1`);
  }
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`schema name ${JSON.stringify(schema)} is invalid: use letters, digits, "_" or "-" (at most 63)`);
  }
  const pgOptions = [
    schema ? `-c search_path="${schema}",public` : '',
    statementTimeoutMs > 0 ? `-c statement_timeout=${statementTimeoutMs}` : '',
  ].filter(Boolean).join(' ');
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    idleTimeoutMillis: idleTimeoutMs,
    application_name: applicationName,
    ...(pgOptions ? { options: pgOptions } : {}),
  });
  // An idle connection dropped by the server emits 'error' on the pool; without a listener
  // Node would crash. The pool discards that connection; the next query opens a new one.
  pool.on('error', () => {});

  let closed: Promise<void> | undefined;
  const client: PgClient = {
    kind: 'pg',
    pool,
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      let conn: pg.PoolClient;
      try {
        conn = await pool.connect();
      } catch (error) {
        throw classifyDbError(error);
      }
      // A connection error while checked out is emitted on the client; the failing query
      // rejects as well, so the listener only has to keep the process alive.
      const ignore = (): void => {};
      conn.on('error', ignore);
      let broken = false;
      try {
        await run(conn, 'BEGIN');
        const tx = transactionHandle(conn);
        const result = await fn(tx);
        await run(conn, 'COMMIT');
        return result;
      } catch (error) {
        try {
          await conn.query('ROLLBACK');
        } catch {
          broken = true; // do not return a connection in an unknown state to the pool
        }
        throw classifyDbError(error);
      } finally {
        conn.off('error', ignore);
        conn.release(broken || undefined);
      }
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
  return client;
}

function transactionHandle(conn: pg.PoolClient): SqlClient {
  const tx: SqlClient = {
    kind: 'pg',
    query: (sql, params) => run(conn, sql, params),
    transaction: (fn) => fn(tx),
    close: async () => {},
  };
  return tx;
}

async function run<R>(on: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]): Promise<SqlResult<R>> {
  try {
    const result = (await on.query(sql, params)) as pg.QueryResult | pg.QueryResult[];
    // A parameterless text with several statements yields one result per statement.
    const last = Array.isArray(result) ? result.at(-1) : result;
    const rows = (last?.rows ?? []) as R[];
    return { rows, rowCount: last?.rowCount ?? rows.length };
  } catch (error) {
    throw classifyDbError(error);
  }
}
