import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config, SettledConfig } from '../config/schema.ts';
import type { SettleOptions } from '../embedding/dimension.ts';
import { prepareStore } from '../storage/prepare-store.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { createPgliteClient } from '../storage/pglite-client.ts';
import type { SqlClient } from '../storage/sql-client.ts';

export const DEFAULT_DATA_DIR = '.era-data';

export interface StoreChoice {
  /** PostgreSQL URL (--db or DATABASE_URL); unset = PGlite in `dataDir`. */
  url?: string;
  dataDir?: string;
}

/**
 * Opens the store a command works on, settles the embedding dimension with it and applies the
 * migrations. Returns the configuration with that dimension. The model is probed only for a
 * command that embeds and asks for it (`verify: true`: `run`, `search`), before anything is
 * written (src/embedding/dimension.ts); a command that only reads the store never needs it up.
 */
export async function openStore(choice: StoreChoice, config: Config, settle: Omit<SettleOptions, 'stored'> = {}): Promise<{ client: SqlClient; where: string; config: SettledConfig }> {
  let client: SqlClient;
  let where: string;
  if (choice.url) {
    client = createPgClient(choice.url, { max: config.dbPoolSize });
    where = new URL(choice.url).host;
  } else {
    const dir = resolve(choice.dataDir ?? DEFAULT_DATA_DIR);
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
