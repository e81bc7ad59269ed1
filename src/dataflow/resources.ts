/**
 * The shared dependencies of a process's stages (src/stages/transform.ts `Resources`), opened on first
 * use and closed once by whoever created them: one embedder (EMBEDDER), one database (the
 * caller's opener: PostgreSQL from DATABASE_URL for a stage service, the embedded store for
 * `run`), minister profiles built once with that embedder.
 */
import type { SettledConfig } from '../config/schema.ts';
import { createEmbedder } from '../embedding/create-embedder.ts';
import type { Embedder } from '../embedding/types.ts';
import { ConfigError } from '../errors/pipeline-error.ts';
import { loadMinistersFile } from '../stages/minister/ministers-file.ts';
import { buildProfiles, type MinisterProfiles } from '../stages/minister/profiles.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import type { Resources } from '../stages/transform.ts';
import { tracedEmbedder } from '../tracing/spans.ts';

export interface OwnedResources extends Resources {
  /** Closes what was opened (embedder, database), each even when another fails. Idempotent. */
  close(): Promise<void>;
}

export interface ResourceOptions {
  /** Opens the store; undefined when there is none (no DATABASE_URL). Called at most once. */
  openDatabase?: () => Promise<SqlClient>;
  /** Whether close() closes the database too. @defaultValue true */
  ownsDatabase?: boolean;
}

export function createResources(config: SettledConfig, { openDatabase, ownsDatabase = true }: ResourceOptions = {}): OwnedResources {
  let embedder: Embedder | undefined;
  let database: Promise<SqlClient> | undefined;
  let ministers: Promise<MinisterProfiles> | undefined;
  let closing: Promise<void> | undefined;
  const resources: OwnedResources = {
    // One span per embedder request when tracing is on (../tracing/spans.ts).
    embedder: () => (embedder ??= tracedEmbedder(createEmbedder(config))),
    database() {
      if (!openDatabase) {
        return Promise.reject(new ConfigError('DATABASE_URL is not set: this stage needs PostgreSQL with pgvector (e.g. DATABASE_URL=postgres://user:pass@host:5432/db)'));
      }
      database ??= openDatabase().catch((error: unknown) => {
        database = undefined;
        throw error;
      });
      return database;
    },
    optionalDatabase: () => (openDatabase ? resources.database() : Promise.resolve(undefined)),
    ministers() {
      // A failure (the embedder still starting) is not kept: the next call tries again.
      ministers ??= buildProfiles(loadMinistersFile(config.ministersFile), resources.embedder()).catch((error: unknown) => {
        ministers = undefined;
        throw error;
      });
      return ministers;
    },
    close() {
      closing ??= (async () => {
        const errors: unknown[] = [];
        await embedder?.close?.().catch((e: unknown) => errors.push(e));
        if (ownsDatabase && database) await database.then((db) => db.close()).catch((e: unknown) => errors.push(e));
        if (errors.length) throw errors[0];
      })();
      return closing;
    },
  };
  return resources;
}
