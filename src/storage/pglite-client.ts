/**
 * SqlClient over PGlite (PostgreSQL compiled to WASM, in-process) with the real pgvector
 * extension: the embedded mode's store. One connection: statements and transactions are
 * serialised by PGlite itself, so a transaction blocks every other query until it ends.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { classifyDbError } from './errors.ts';
import type { SqlClient, SqlResult } from './sql-client.ts';

export interface PgliteClientOptions {
  /** Directory of the database files; undefined = in memory (gone on close). */
  dataDir?: string;
}

/** A SqlClient backed by PGlite; `db` is exposed for wiring (e.g. pglite-socket). */
export interface PgliteClient extends SqlClient {
  readonly kind: 'pglite';
  readonly db: PGlite;
}

interface Queryable {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(sql: string): Promise<Array<{ rows: unknown[]; affectedRows?: number }>>;
}

/**
 * Opens (or creates) the database and creates the `vector` extension in it.
 * @throws SqlError when the data directory cannot be opened.
 */
export async function createPgliteClient(options: PgliteClientOptions = {}): Promise<PgliteClient> {
  let db: PGlite;
  try {
    db = await PGlite.create({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), extensions: { vector } });
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (error) {
    throw classifyDbError(error);
  }
  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    db,
    query: (sql, params) => run(db, sql, params),
    async transaction(fn) {
      try {
        return await db.transaction(async (t) => {
          const tx: SqlClient = {
            kind: 'pglite',
            query: (sql, params) => run(t, sql, params),
            transaction: (inner) => inner(tx),
            close: async () => {},
          };
          return fn(tx);
        });
      } catch (error) {
        throw classifyDbError(error);
      }
    },
    close() {
      closed ??= db.closed ? Promise.resolve() : db.close();
      return closed;
    },
  };
}

async function run<R>(on: Queryable, sql: string, params?: unknown[]): Promise<SqlResult<R>> {
  try {
    if (params === undefined || params.length === 0) {
      // Same contract as pg's simple protocol: several statements allowed, last result wins.
      const results = await on.exec(sql);
      const last = results.at(-1);
      const rows = (last?.rows ?? []) as R[];
      return { rows, rowCount: rows.length > 0 ? rows.length : (last?.affectedRows ?? 0) };
    }
    const result = await on.query<R>(sql, params);
    return { rows: result.rows, rowCount: result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? 0) };
  } catch (error) {
    throw classifyDbError(error);
  }
}
