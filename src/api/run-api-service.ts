/**
 * `era-ingest serve` as a process: builds the API's dependencies from the configuration, serves
 * until SIGTERM/SIGINT, then closes in order, each step even when an earlier one fails. A second
 * signal exits at once (130). Two deployments, one API (./ports.ts):
 *
 * - Kafka (KAFKA_BROKERS): PostgreSQL (DATABASE_URL), the embedder of queries, a Kafka producer
 *   of the raw lanes, era.dlq. Closing: stop accepting and finish in-flight requests, disconnect
 *   the producer, close the embedder and the database.
 * - An embedded store (`options.embedded`: PGlite, or PostgreSQL without Kafka), opened once and
 *   shared by search and ingestion (PGlite is one connection: it serialises their statements),
 *   with one in-process pipeline for every submission (src/in-process/ingest-queue.ts). Closing:
 *   stop accepting and finish in-flight requests, drain the pipeline for SHUTDOWN_TIMEOUT_MS
 *   (what is not stored by then is recorded as failed in its job), write job status, close the
 *   embedder and the store.
 */
import { rawLimits } from '../topics/raw-document.ts';
import type { Config } from '../config/schema.ts';
import { createEmbedder } from '../embedding/create-embedder.ts';
import { ConfigError, toPipelineError } from '../errors/pipeline-error.ts';
import { exposureProblem } from './exposure.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { sourceTopicSpecs } from '../dataflow/topics.ts';
import { topicSettings } from '../kafka/admin.ts';
import { createKafka } from '../kafka/client.ts';
import { connectPublisher } from '../kafka/publisher.ts';
import { prepareStore } from '../storage/prepare-store.ts';
import { retry } from '../engine/backoff.ts';
import { retryPolicyFor } from '../config/presets.ts';
import { createPgClient } from '../storage/pg-client.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import type { SettledConfig } from '../config/schema.ts';
import { createResources } from '../dataflow/resources.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { IngestQueue } from '../in-process/ingest-queue.ts';
import { JobTracker } from '../service/job-tracker.ts';
import type { Embedder } from '../embedding/types.ts';
import { ONE_MIB, type ApiDependencies } from './context.ts';
import { kafkaDeadLetters, kafkaDocumentSink } from './kafka-ports.ts';
import { inProcessDocumentSink, storeDeadLetters } from './store-ports.ts';
import { createApiServer } from './server.ts';
import { wireConsole } from './console-wiring.ts';

/** An embedded store to serve instead of Kafka: opened, migrated and settled by `open` (src/cli/open-store.ts). */
export interface EmbeddedStore {
  /** Opens the store; `signal` aborts waiting for the embedder. */
  open(signal: AbortSignal): Promise<{ client: SqlClient; where: string; config: SettledConfig }>;
}

export interface ApiServiceOptions {
  /** Validated configuration; `databaseUrl` must be set unless `embedded` is. */
  config: Config;
  /** Serve this store through the in-process runner; unset = Kafka (KAFKA_BROKERS) and DATABASE_URL. */
  embedded?: EmbeddedStore;
  /** @defaultValue config.apiPort */
  port?: number;
  /** @defaultValue config.apiHost */
  host?: string;
  logger?: Logger;
}

/**
 * Runs the API until a signal. Resolves with the exit code: 0 after a clean stop, 1 when it
 * could not start (the reason is logged).
 */
export async function runApiService({ config, embedded, port = config.apiPort, host = config.apiHost, logger = createLogger(config.logLevel, { component: 'api' }) }: ApiServiceOptions): Promise<number> {
  /** Run in reverse order on the way out, each even when another fails. */
  const cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];
  let signalled!: () => void;
  const stop = new Promise<void>((resolve) => {
    signalled = resolve;
  });
  let signals = 0;
  const starting = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    starting.abort();
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(130);
    }
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    signalled();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let code = 0;
  try {
    const problem = exposureProblem(host, config);
    if (problem) throw new ConfigError(problem);
    const metrics = createMetrics();
    const { deps, where } = embedded ? await embeddedDependencies(embedded, config, logger, starting.signal, cleanups, metrics) : await kafkaDependencies(config, logger, cleanups);
    const web = wireConsole({ db: deps.db, embedder: deps.embedder, config, registry: metrics.registry, deadLetters: deps.deadLetters, store: embedded ? String(where.store) : `PostgreSQL + Kafka (${config.topicPrefix}.*)` });
    cleanups.push({ what: 'console', run: () => web.stop() });
    const api = createApiServer({ ...deps, registry: metrics.registry, logger, console: web.data }, {
      limits: rawLimits(config),
      maxBodyBytes: config.apiMaxBodyBytes ?? config.maxDocumentBytes + ONE_MIB,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      maxConcurrentSearches: config.apiMaxSearches,
      ...(config.apiToken !== undefined ? { token: config.apiToken } : {}),
    });
    cleanups.push({ what: 'http server', run: () => api.close() });
    if (signals === 0) {
      const bound = await api.listen(port, host);
      logger.info({ port: bound, host, auth: config.apiToken !== undefined, ...where }, 'HTTP API listening');
      await stop;
    }
  } catch (error) {
    const e = toPipelineError(error);
    logger.fatal({ code: e.code, err: e.message }, 'HTTP API failed to start');
    code = 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    for (const { what, run } of cleanups.reverse()) {
      await Promise.resolve().then(run).catch((error: unknown) => logger.error({ err: (error as Error).message }, `closing the ${what} failed`));
    }
    logger.info('HTTP API stopped');
    logger.flush?.();
  }
  return code;
}

export type Cleanups = Array<{ what: string; run: () => Promise<void> | void }>;
type Built = { deps: Pick<ApiDependencies, 'sink' | 'deadLetters' | 'db' | 'embedder'>; where: Record<string, string> };

/** Kafka: PostgreSQL from DATABASE_URL, the embedder of queries, a producer of the raw lanes, era.dlq. */
async function kafkaDependencies(config: Config, logger: ReturnType<typeof createLogger>, cleanups: Cleanups): Promise<Built> {
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set');
  const db = createPgClient(config.databaseUrl, { max: config.dbPoolSize, applicationName: 'era-ingest-api', statementTimeoutMs: config.apiStatementTimeoutMs });
  cleanups.push({ what: 'database', run: () => db.close() });
  // serve embeds queries: the model is asked for its dimension (and checked against the store's).
  const settled = (await retry(() => prepareStore(db, config), retryPolicyFor(config), { onRetry: (error, attempt, delayMs) => logger.warn({ err: (error as Error).message, attempt, delayMs }, 'a dependency is not ready; retrying') })).value;
  const embedder: Embedder = createEmbedder(settled);
  cleanups.push({ what: 'embedder', run: () => embedder.close?.() });
  const kafka = createKafka(config, logger, 'api');
  const publisher = await connectPublisher(kafka, { ensure: { specs: sourceTopicSpecs(config.topicPrefix), settings: topicSettings(config) } });
  cleanups.push({ what: 'kafka producer', run: () => publisher.close() });
  return {
    deps: { sink: kafkaDocumentSink(publisher, config.topicPrefix), deadLetters: kafkaDeadLetters(kafka, config.topicPrefix, `${config.groupPrefix}.dlq-replay`), db, embedder },
    where: { topicPrefix: config.topicPrefix },
  };
}

/** An embedded store: opened once, shared by search and one in-process pipeline. */
export async function embeddedDependencies(store: EmbeddedStore, config: Config, logger: ReturnType<typeof createLogger>, signal: AbortSignal, cleanups: Cleanups, metrics?: ReturnType<typeof createMetrics>): Promise<Built> {
  const { client, where, config: settled } = await store.open(signal);
  cleanups.push({ what: 'store', run: () => client.close() });
  const resources = createResources(settled, { openDatabase: async () => client, ownsDatabase: false });
  cleanups.push({ what: 'embedder', run: () => resources.close() });
  const jobs = new JobTracker(client, PIPELINE, logger);
  cleanups.push({ what: 'job status', run: () => jobs.close() });
  // The stages' output counters, as a stage service exports them: the console's flow page reads them.
  const onOutcome = metrics && ((stage: { name: string }, outcome: { outputs: readonly unknown[]; poison?: unknown }): void => {
    metrics.messagesIn.inc({ stage: stage.name, topic: 'in-process' });
    if (outcome.outputs.length > 0) metrics.messagesOut.inc({ stage: stage.name, topic: 'in-process' }, outcome.outputs.length);
  });
  const queue = new IngestQueue({ client, config: settled, resources, jobs, retryPolicy: retryPolicyFor(config) }, { logger, ...(onOutcome ? { onOutcome } : {}) });
  cleanups.push({ what: 'in-process pipeline', run: () => queue.close(config.shutdownTimeoutMs) });
  return {
    deps: { sink: inProcessDocumentSink(queue, where), deadLetters: storeDeadLetters(client, queue), db: client, embedder: resources.embedder() },
    where: { store: where },
  };
}
