/**
 * One re-embedding per model at a time, across processes: a session-level advisory lock held on
 * a connection of its own for the whole run (released when it ends, or when the process dies and
 * the connection closes). Two-key lock space, distinct from migrate's and the store's locks.
 */
import pg from 'pg';
import { classifyDbError } from './errors.ts';

export interface ModelLock {
  release(): Promise<void>;
}

/** The lock of `model`, or undefined when another process holds it. */
export async function tryLockModel(url: string, model: string): Promise<ModelLock | undefined> {
  const client = new pg.Client({ connectionString: url, application_name: 'era-ingest reembed lock' });
  client.on('error', () => undefined); // a dropped connection only loses the lock
  try {
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext('era-reembed'), hashtext($1::text)) AS locked`, [model]);
    if (rows[0]?.locked) return { release: async () => void (await client.end().catch(() => undefined)) };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw classifyDbError(error);
  }
  await client.end().catch(() => undefined);
  return undefined;
}
