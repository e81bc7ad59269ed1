/**
 * A stage of the dataflow as a service process (`era-ingest stage <name>`): configuration,
 * logs, the metrics endpoint, the shared resources the stage needs, its transform bound to
 * Kafka, job tracking, flow control, and signal handling. SIGTERM/SIGINT stop it cleanly (a
 * second signal forces exit). Resolves with the process exit code: 0 after a clean stop, 2 on a
 * configuration error, 1 when the stage halted or could not start otherwise.
 */
import type { Config } from '../config/schema.ts';
import { retryPolicyFor } from '../config/presets.ts';
import type { Dataflow } from '../dataflow/declare.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { createResources } from '../dataflow/resources.ts';
import { topicSpecs } from '../dataflow/topics.ts';
import { retry } from '../engine/backoff.ts';
import { ConfigError, toPipelineError } from '../errors/pipeline-error.ts';
import { createKafka } from '../kafka/client.ts';
import type { InputMessage } from '../kafka/records.ts';
import { checkKafkaTls } from '../kafka/preflight.ts';
import { bindStage } from '../kafka/stage-binding.ts';
import { StageRunner } from '../kafka/stage-runner.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { startServiceServer } from '../metrics/http-server.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { migrate, readDimension, schemaSettings } from '../storage/migrate.ts';
import { settleConfig } from '../embedding/dimension.ts';
import { createPgClient } from '../storage/pg-client.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { HEADERS } from '../topics/headers.ts';
import { JobTracker, type TrackedInput } from './job-tracker.ts';
import { metricsObserver } from './metrics-observer.ts';
import { stageFlow } from './stage-flow.ts';

/** A consumed record's job (its header) and document (its key), for job tracking. */
const tracked = (input: InputMessage): TrackedInput => ({ jobId: input.headers[HEADERS.job], docId: input.key?.toString('utf8') });

export interface StageServiceOptions {
  name: string;
  config: Config;
  logger?: Logger;
  /** The dataflow the stage belongs to. @defaultValue PIPELINE */
  flow?: Dataflow;
  /** Stops the service like SIGTERM does (a service embedded in another process, tests). */
  signal?: AbortSignal;
}

export async function runStageService({ name, config, flow = PIPELINE, signal, logger = createLogger(config.logLevel, { stage: name }) }: StageServiceOptions): Promise<number> {
  const spec = flow.stage(name);
  const metrics = createMetrics();
  let runner: StageRunner<unknown, unknown> | undefined;
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
  const stop = (why: string): void => {
    signals += 1;
    logger.info({ signal: why }, 'stopping: draining in-flight work');
    startAbort.abort();
    void runner?.close();
  };
  const onSignal = (received: NodeJS.Signals): void => {
    if (signals > 0) {
      logger.warn({ signal: received }, 'second signal: exiting without draining');
      process.exit(130);
    }
    stop(received);
  };
  const onAbort = (): void => stop('abort');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Dependencies may still be starting (or down): retry what is retriable, fail fast on the rest.
    const policy = retryPolicyFor(config);
    const hooks = { signal: startAbort.signal, onRetry: (error: unknown, attempt: number, delayMs: number): void => logger.warn({ err: (error as Error).message, attempt, delayMs }, 'a dependency is not ready; retrying') };
    await checkKafkaTls(config);
    // A stage that only reads the store in passing (the embed stage's stored-vector lookup) gets
    // two connections and a short connect timeout: the lookup is skipped, not waited for, when
    // the database is away. A stage that writes it gets DB_POOL_SIZE and the default timeout.
    const databaseUrl = config.databaseUrl;
    // The vector dimension, settled once: a stage that embeds asks its model (and checks it
    // against EMBED_DIM and the store's); the others take EMBED_DIM or the store's.
    const storedDimension = databaseUrl ? async (): Promise<number | undefined> => {
      const client = createPgClient(databaseUrl, { max: 1 });
      try {
        return await readDimension(client);
      } finally {
        await client.close();
      }
    } : undefined;
    const settled = (await retry(() => settleConfig(config, { verify: spec.needs.embedder === true, ...(storedDimension ? { stored: storedDimension } : {}), signal: startAbort.signal }), policy, hooks)).value;
    const pool = spec.needs.database === 'required' ? { max: config.dbPoolSize } : { max: 2, connectionTimeoutMs: 2_000 };
    const resources = createResources(settled, databaseUrl ? { openDatabase: async () => createPgClient(databaseUrl, pool) } : {});
    cleanups.push(() => resources.close());
    const observer = metricsObserver(metrics, spec.name);
    const transform = (await retry(() => spec.create({ config: settled, resources, observer, now: Date.now }), policy, hooks)).value;
    cleanups.push(() => transform.close?.());
    const binding = await retry(() => bindStage(flow, spec, transform, config), policy, hooks);
    // Job status (era-ingest status) is recorded where a database is configured.
    let tracker: JobTracker | undefined;
    if (databaseUrl) {
      const jobsClient: SqlClient = createPgClient(databaseUrl, { max: 1 });
      cleanups.push(() => jobsClient.close());
      await retry(() => migrate(jobsClient, schemaSettings(settled)), policy, hooks);
      tracker = new JobTracker(jobsClient, flow, logger);
      const t = tracker;
      cleanups.push(() => t.close());
    }
    runner = new StageRunner<unknown, unknown>({
      binding: binding.value,
      topics: topicSpecs(config.topicPrefix, flow),
      config, kafka: createKafka(config, logger, name), logger, metrics,
      flow: stageFlow(flow, spec, config, Date.now()), sampleMs: config.flowSampleMs, retryPolicy: policy,
      ...(tracker ? { onResult: (r) => tracker.result(spec, tracked(r.input), r.outputs.map((o) => o.value), r.poison), onTaken: (inputs) => tracker.taken(spec, inputs.map(tracked)) } : {}),
    });
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
    return e.code === 'CONFIG_INVALID' ? 2 : 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    signal?.removeEventListener('abort', onAbort);
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch((error: unknown) => logger.error({ err: (error as Error).message }, 'cleanup failed'));
    await server.close();
    logger.flush?.();
  }
}
