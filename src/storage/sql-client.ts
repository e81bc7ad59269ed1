/**
 * The one database seam of the pipeline: the store stage runs it over a `pg` pool (real
 * PostgreSQL), the embedded mode over PGlite (WASM PostgreSQL in-process). Everything in
 * src/storage is written against this interface only, so both behave the same.
 *
 * Value conventions, identical on both clients (they are what the SQL in this folder relies on):
 * - parameters: strings, numbers, booleans, null and flat JS arrays (sent as PostgreSQL array
 *   literals, so cast them: `$1::text[]`). Vectors and JSON are passed as text and cast in SQL
 *   (`$1::text::vector`, `$1::text::jsonb`); see ./vector-text.ts.
 * - results: vector columns come back as their text form (`'[1,2,3]'`); bigint may come back as
 *   a string (`pg`) or a number (PGlite): read them with `Number(...)`.
 */
export interface SqlResult<R> {
  rows: R[];
  /** Rows affected by INSERT/UPDATE/DELETE, else the number of rows returned. */
  rowCount: number;
}

export interface SqlClient {
  /**
   * Runs one statement. Without `params` the text may hold several statements (simple
   * protocol); the result is then the last statement's.
   * @throws DependencyError (retriable) when the database is unreachable, shutting down,
   *   out of connections, or reports a serialization failure / deadlock; SqlError
   *   (non-retriable) for any other SQL error.
   */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<R>>;
  /**
   * Runs `fn` in one transaction (READ COMMITTED) on one connection; commits when it resolves,
   * rolls back when it throws and rethrows (normalised as for `query`). Calling `transaction`
   * on the `tx` handle joins the outer transaction (no savepoint).
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Releases every connection. Idempotent. A no-op on a transaction handle. */
  close(): Promise<void>;
  readonly kind: 'pg' | 'pglite';
}
