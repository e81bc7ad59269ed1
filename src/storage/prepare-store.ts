/**
 * A store made ready for a process: the embedding dimension settled against the store's
 * (src/embedding/dimension.ts: a model is probed before anything is written) and the
 * migrations applied with it. Returns the configuration with that dimension.
 */
import type { Config, Settled } from '../config/schema.ts';
import { settleConfig, type SettleOptions } from '../embedding/dimension.ts';
import { migrate, readDimension, schemaSettings } from './migrate.ts';
import type { SqlClient } from './sql-client.ts';

export async function prepareStore<C extends Config>(client: SqlClient, config: C, options: Omit<SettleOptions, 'stored'> = {}): Promise<Settled<C>> {
  const settled = await settleConfig(config, { ...options, stored: () => readDimension(client) });
  await migrate(client, schemaSettings(settled));
  return settled;
}
