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

/** Where `run` keeps its embedded store, and where every command looks for it, unless --data-dir says otherwise. */
export const DEFAULT_DATA_DIR = '.era-data';
