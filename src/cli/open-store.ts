import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config, SettledConfig } from '../config/schema.ts';
import type { SettleOptions } from '../embedding/dimension.ts';
import { prepareStore } from '../storage/prepare-store.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { createPgliteClient } from '../storage/pglite-client.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { CliError, DEFAULT_DATA_DIR, EXIT } from './context.ts';

export { DEFAULT_DATA_DIR };

export interface StoreChoice {
  /** PostgreSQL URL (--db or DATABASE_URL); unset = PGlite in `dataDir`. */
  url?: string;
  dataDir?: string;
  /**
   * Create the PGlite data directory and its database when missing: only for `run`, which
   * fills it. Any other command works on a store `run` made, and refuses a directory that holds
   * none (a typo would otherwise answer from a new, empty database). @defaultValue false
   */
  create?: boolean;
}

/** Why `dir` holds no PGlite database (initdb writes PG_VERSION first), or undefined when it holds one. */
function missingStore(dir: string): string | undefined {
  if (!existsSync(dir)) return 'does not exist';
  if (!statSync(dir).isDirectory()) return 'is not a directory';
  if (existsSync(join(dir, 'PG_VERSION'))) return undefined;
  return readdirSync(dir).length === 0 ? 'is empty' : 'holds no PGlite database';
}

/**
 * Checks, before anything is opened, that the store chosen can be opened: a PGlite data
 * directory must hold a store unless `create` is set (a PostgreSQL URL is checked on connect).
 * @throws CliError (exit 2) naming the directory and what to do.
 */
export function requireStore(choice: StoreChoice): void {
  if (choice.url) return;
  const dir = resolve(choice.dataDir ?? DEFAULT_DATA_DIR);
  const missing = missingStore(dir);
  if (missing && !choice.create) {
    throw new CliError(`the data directory ${dir} ${missing}: it holds no store of \`era-ingest run\`. Ingest into it first (era-ingest run <files> --data-dir ${choice.dataDir ?? DEFAULT_DATA_DIR}), ` +
      'or give the --data-dir that run used (or --db / DATABASE_URL for a PostgreSQL store)', EXIT.usage);
  }
}

/**
 * Opens the store a command works on, settles the embedding dimension with it and applies the
 * migrations. Returns the configuration with that dimension. The model is probed only for a
 * command that embeds and asks for it (`verify: true`: `run`, `search`), before anything is
 * written (src/embedding/dimension.ts); a command that only reads the store never needs it up.
 *
 * @throws CliError (exit 2) when the PGlite data directory holds no store and `create` is not set;
 *   nothing is created then.
 */
export async function openStore(choice: StoreChoice, config: Config, settle: Omit<SettleOptions, 'stored'> = {}): Promise<{ client: SqlClient; where: string; config: SettledConfig }> {
  let client: SqlClient;
  let where: string;
  if (choice.url) {
    client = createPgClient(choice.url, { max: config.dbPoolSize });
    where = new URL(choice.url).host;
  } else {
    const dir = resolve(choice.dataDir ?? DEFAULT_DATA_DIR);
    requireStore(choice);
    mkdirSync(dir, { recursive: true });
    client = await createPgliteClient({ dataDir: dir });
    where = `PGlite in ${dir}`;
  }
  try {
    return { client, where, config: await prepareStore(client, config, { verify: false, ...settle }) };
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** Runs `fn` on the store chosen (see openStore) and closes it, whether `fn` succeeds or throws. */
export async function withStore<T>(choice: StoreChoice, config: Config, fn: (client: SqlClient, store: { where: string; config: SettledConfig }) => Promise<T>): Promise<T> {
  const { client, ...store } = await openStore(choice, config);
  try {
    return await fn(client, store);
  } finally {
    await client.close();
  }
}
