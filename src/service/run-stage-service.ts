/**
 * A stage as a service process: configuration, logs, metrics endpoint, the stage runner, and
 * signal handling. SIGTERM/SIGINT stop it cleanly (a second signal forces exit).
 * Resolves with the process exit code: 0 after a clean stop, 1 when the stage halted.
 */
import type { Config } from '../config/schema.ts';
import { ConfigError, toPipelineError } from '../errors/pipeline-error.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { startServiceServer } from '../metrics/http-server.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { createKafka } from '../runtime/kafka-client.ts';
import { checkKafkaTls } from '../runtime/kafka-preflight.ts';
import type { StageName } from '../runtime/stage.ts';
import { StageRunner } from '../runtime/stage-runner.ts';
import { createStage } from '../stages/create-stage.ts';
import { retryPolicyFor } from '../flow-control/presets.ts';
import { stageFlow } from '../flow-control/stage-flow.ts';
import { retry } from '../runtime/backoff.ts';
import { topicNames } from '../topics/names.ts';
import { JobTracker } from '../runtime/job-tracker.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { migrate, schemaSettings } from '../storage/migrate.ts';
import type { SqlClient } from '../storage/sql-client.ts';

export interface StageServiceOptions {
  name: StageName;
  config: Config;
  logger?: Logger;
}

export async function runStageService({ name, config, logger = createLogger(config.logLevel, { stage: name }) }: StageServiceOptions): Promise<number> {
  const metrics = createMetrics();
  let runner: StageRunner<unknown> | undefined;
  /** Run in reverse order on the way out, each even when another fails. */
  const cleanups: Array<() => Promise<void> | void> = [];
  const server = await startServiceServer({
    port: config.metricsPort,
    registry: metrics.registry,
    live: () => runner?.live ?? true,
    ready: () => runner?.ready ?? false,
  });
  logger.info({ port: server.port }, 'metrics, /healthz and /readyz listening');
  let signals = 0;
  const startAbort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(130);
    }
    logger.info({ signal }, 'stopping: draining in-flight work');
    startAbort.abort();
    void runner?.close();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    // Dependencies may still be starting (or down): retry what is retriable, fail fast on the rest.
    const startRetry = retryPolicyFor(config.profile);
    const onStartRetry = (error: unknown, attempt: number, delayMs: number): void => logger.warn({ err: (error as Error).message, attempt, delayMs }, 'a dependency is not ready; retrying');
    await checkKafkaTls(config);
    const stage = (await retry(() => createStage(name, config, { metrics }), startRetry, { onRetry: onStartRetry, signal: startAbort.signal })).value;
    // Job status (era-ingest status) is recorded where a database is configured.
    let tracker: JobTracker | undefined;
    if (config.databaseUrl) {
      const jobsClient: SqlClient = createPgClient(config.databaseUrl, { max: 1 });
      cleanups.push(() => jobsClient.close());
      await retry(() => migrate(jobsClient, schemaSettings(config)), startRetry, { onRetry: onStartRetry, signal: startAbort.signal });
      tracker = new JobTracker(jobsClient, name, topicNames(config.topicPrefix).stored, logger);
      const t = tracker;
      cleanups.push(() => t.close());
    }
    const flow = stageFlow(name, config, topicNames(config.topicPrefix), Date.now());
    runner = new StageRunner({ stage, config, kafka: createKafka(config, logger, name), logger, metrics, flow, sampleMs: config.flowSampleMs, retryPolicy: retryPolicyFor(config.profile),
      ...(tracker ? { onResult: (r) => tracker.result(r), onTaken: (inputs) => tracker.taken(inputs) } : {}) });
    if (signals > 0) return 0;
    await runner.start();
    await runner.done;
    return 0;
  } catch (error) {
    const e = (error as Error)?.name === 'KafkaJSSASLAuthenticationError'
      ? new ConfigError(`Kafka rejected the credentials of KAFKA_SASL_USERNAME=${config.kafkaSaslUsername ?? ''} (KAFKA_SASL_MECHANISM=${config.kafkaSaslMechanism}): check the user, the password and the mechanism (${(error as Error).message})`)
      : toPipelineError(error);
    if (e.code === 'SHUTDOWN') return 0;
    logger.fatal({ code: e.code, err: e.message }, `stage ${name} failed`);
    await runner?.close();
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch((error: unknown) => logger.error({ err: (error as Error).message }, 'cleanup failed'));
    await server.close();
    logger.flush?.();
  }
}
