/**
 * `era-ingest serve` as a process: builds the API's dependencies from the configuration
 * (PostgreSQL, embedder, Kafka producer, metrics registry), serves until SIGTERM/SIGINT, then
 * closes in order — stop accepting and finish in-flight requests, disconnect the producer,
 * close the embedder and the database — each step even when an earlier one fails. A second
 * signal exits at once (130).
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
import { ONE_MIB } from './context.ts';
import { createApiServer } from './server.ts';
import { kafkaDeadLetters, wireConsole } from './console-wiring.ts';

export interface ApiServiceOptions {
  /** Validated configuration; `databaseUrl` must be set. */
  config: Config;
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
export async function runApiService({ config, port = config.apiPort, host = config.apiHost, logger = createLogger(config.logLevel, { component: 'api' }) }: ApiServiceOptions): Promise<number> {
  /** Run in reverse order on the way out, each even when another fails. */
  const cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];
  let signalled!: () => void;
  const stop = new Promise<void>((resolve) => {
    signalled = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
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
    if (!config.databaseUrl) throw new Error('DATABASE_URL is not set');
    const problem = exposureProblem(host, config);
    if (problem) throw new ConfigError(problem);
    const db = createPgClient(config.databaseUrl, { max: config.dbPoolSize, applicationName: 'era-ingest-api', statementTimeoutMs: config.apiStatementTimeoutMs });
    cleanups.push({ what: 'database', run: () => db.close() });
    // serve embeds queries: the model is asked for its dimension (and checked against the store's).
    const settled = (await retry(() => prepareStore(db, config), retryPolicyFor(config), { onRetry: (error, attempt, delayMs) => logger.warn({ err: (error as Error).message, attempt, delayMs }, 'a dependency is not ready; retrying') })).value;
    const embedder = createEmbedder(settled);
    cleanups.push({ what: 'embedder', run: () => embedder.close?.() });
    const publisher = await connectPublisher(createKafka(config, logger, 'api'), { ensure: { specs: sourceTopicSpecs(config.topicPrefix), settings: topicSettings(config) } });
    cleanups.push({ what: 'kafka producer', run: () => publisher.close() });
    const registry = createMetrics().registry;
    const consoleParts = wireConsole({ db, embedder, config, registry, store: 'PostgreSQL + Kafka', deadLetters: kafkaDeadLetters(config) });
    cleanups.push({ what: 'console', run: () => consoleParts.stop() });
    const api = createApiServer({ publisher, db, embedder, registry, logger, console: consoleParts.data }, {
      topicPrefix: config.topicPrefix,
      limits: rawLimits(config),
      maxBodyBytes: config.apiMaxBodyBytes ?? config.maxDocumentBytes + ONE_MIB,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      maxConcurrentSearches: config.apiMaxSearches,
      ...(config.apiToken !== undefined ? { token: config.apiToken } : {}),
    });
    cleanups.push({ what: 'http server', run: () => api.close() });
    if (signals === 0) {
      const bound = await api.listen(port, host);
      logger.info({ port: bound, host, auth: config.apiToken !== undefined, topicPrefix: config.topicPrefix }, 'HTTP API listening');
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
