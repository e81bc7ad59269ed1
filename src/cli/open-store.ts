import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { migrate, schemaSettings } from '../storage/migrate.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { createPgliteClient } from '../storage/pglite-client.ts';
import type { SqlClient } from '../storage/sql-client.ts';

export const DEFAULT_DATA_DIR = '.era-data';

export interface StoreChoice {
  /** PostgreSQL URL (--db or DATABASE_URL); unset = PGlite in `dataDir`. */
  url?: string;
  dataDir?: string;
}

/** Opens the store a command works on and applies the migrations. */
export async function openStore(choice: StoreChoice, config: Pick<Config, 'embedDim' | 'dbPoolSize' | 'hnswM' | 'hnswEfConstruction'>): Promise<{ client: SqlClient; where: string }> {
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
    await migrate(client, schemaSettings(config));
  } catch (error) {
    await client.close();
    throw error;
  }
  return { client, where };
}
