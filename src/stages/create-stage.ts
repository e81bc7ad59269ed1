/**
 * Builds a product stage from the configuration: the one place that knows which dependencies
 * (embedder, database, ministers) each stage needs.
 */
import { rawLimits } from '../topics/raw-document.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors/pipeline-error.ts';
import { createEmbedder } from '../embedding/create-embedder.ts';
import { AimdLimiter } from '../flow-control/aimd-limiter.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { StageDefinition, StageName } from '../runtime/stage.ts';
import { lookupEmbeddings } from '../storage/embedding-cache.ts';
import { migrate, schemaSettings } from '../storage/migrate.ts';
import { upsertMinisterProfiles } from '../storage/ministers.ts';
import { createPgClient } from '../storage/pg-client.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { codecsFor } from '../topics/codec-async.ts';
import { topicNames } from '../topics/names.ts';
import { chunkStage } from './chunk/stage.ts';
import { embedStage } from './embed/stage.ts';
import { loadMinistersFile } from './minister/ministers-file.ts';
import { buildProfiles } from './minister/profiles.ts';
import { ministerStage } from './minister/stage.ts';
import { storeStage } from './store/stage.ts';

export interface StageDependencies {
  metrics: Metrics;
  /** Database for the store stage and the embed stage's stored-vector lookup; default from DATABASE_URL. */
  client?: SqlClient;
}

function requireDatabase(config: Config, stage: string): string {
  if (!config.databaseUrl) throw new ConfigError(`DATABASE_URL is not set: the ${stage} stage needs PostgreSQL with pgvector (e.g. DATABASE_URL=postgres://user:pass@host:5432/db)`);
  return config.databaseUrl;
}

export async function createStage(name: StageName, config: Config, deps: StageDependencies): Promise<StageDefinition<unknown>> {
  const topics = topicNames(config.topicPrefix);
  const label = { stage: name };
  // With CODEC=avro this registers the value schemas (BACKWARD) and refuses incompatible ones.
  const codecs = await codecsFor(config);
  switch (name) {
    case 'chunk':
      return chunkStage({
        topics,
        chunker: { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap },
        limits: rawLimits(config),
        codecs,
      }) as StageDefinition<unknown>;
    case 'embed': {
      const embedder = createEmbedder(config);
      const limiter = new AimdLimiter({ min: 1, max: config.embedConcurrency, initial: config.embedConcurrency });
      // A short connect timeout: the lookup is skipped, not waited for, when the database is away.
      const client = deps.client ?? (config.databaseUrl ? createPgClient(config.databaseUrl, { max: 2, connectionTimeoutMs: 2_000 }) : undefined);
      const stage = embedStage({
        topics,
        embedder,
        limiter,
        batchSize: config.embedBatchSize,
        codecs,
        ...(client ? { lookup: (ids: string[], model: string, dimension: number) => lookupEmbeddings(client, ids, model, dimension) } : {}),
        onLookupSkipped: (error) => deps.metrics.errors.inc({ ...label, code: error.code }),
        onRequest: (outcome, seconds, cached) => {
          if (cached) deps.metrics.embedCacheHits.inc(label, cached);
          else deps.metrics.embedSeconds.observe({ ...label, outcome }, seconds);
          deps.metrics.embedConcurrency.set(label, limiter.limit);
        },
      });
      const close = stage.close;
      return { ...stage, close: async () => { await close?.(); if (!deps.client) await client?.close(); } } as StageDefinition<unknown>;
    }
    case 'minister': {
      const embedder = createEmbedder(config);
      const profiles = await buildProfiles(loadMinistersFile(config.ministersFile), embedder);
      // A lexical embedder stays: it re-embeds each chunk's content words for routing.
      if (embedder.kind !== 'lexical') await embedder.close?.();
      return ministerStage({ topics, profiles, codecs, ...(embedder.kind === 'lexical' ? { lexical: embedder } : {}) }) as StageDefinition<unknown>;
    }
    case 'store': {
      const client = deps.client ?? createPgClient(requireDatabase(config, 'store'), { max: config.dbPoolSize });
      await migrate(client, schemaSettings(config));
      await upsertMinisterProfiles(client, loadMinistersFile(config.ministersFile));
      return storeStage({ topics, client, codecs }) as StageDefinition<unknown>;
    }
  }
}
