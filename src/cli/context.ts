/**
 * What every command shares: configuration from env plus flags, output helpers, exit codes.
 * Exit codes: 0 ok, 1 failure, 2 usage error (DESIGN.md §8).
 */
import { loadConfig } from '../config/load.ts';
import type { Config, SettingKey } from '../config/schema.ts';
import { PipelineError } from '../errors/pipeline-error.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure the user can act on: printed without a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message);
  }
}

export function configFrom(overrides: Partial<Record<SettingKey, string | undefined>> = {}): Config {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<Record<SettingKey, string>>;
  try {
    return loadConfig(process.env, defined);
  } catch (error) {
    if (error instanceof PipelineError && error.code === 'CONFIG_INVALID') throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs `fn` with a one-connection PostgreSQL client (migrated) on DATABASE_URL (or `db`), and
 * closes it. `missing` says why the command needs PostgreSQL when no URL is set (usage error).
 */
export async function withPostgres<T>(db: string | undefined, missing: string, fn: (client: import('../storage/sql-client.ts').SqlClient) => Promise<T>): Promise<T> {
  const config = configFrom({ databaseUrl: db });
  if (!config.databaseUrl) throw new CliError(missing, EXIT.usage);
  const [{ createPgClient }, { prepareStore }] = await Promise.all([import('../storage/pg-client.ts'), import('../storage/prepare-store.ts')]);
  const client = createPgClient(config.databaseUrl, { max: 1 });
  try {
    await prepareStore(client, config, { verify: false });
    return await fn(client);
  } finally {
    await client.close();
  }
}
