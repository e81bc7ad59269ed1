/**
 * The four stage services as separate processes (as in production) against the real broker,
 * a fresh real PostgreSQL database, and the Ollama-API test double (no model weights can be
 * downloaded here; the double embeds with the same feature hashing as EMBEDDER=hash).
 */
import pg from 'pg';
import { HEADERS } from '../../src/topics/headers.ts';
import type { StoredEvent } from '../../src/topics/messages.ts';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { topicNames, type TopicNames } from '../../src/dataflow/topics.ts';
import { createTestDatabase } from './database.ts';
import { KafkaTestKit } from './kafka.ts';
import { uniqueName } from './names.ts';
import { startOllamaDouble, type OllamaDouble } from './ollama-double.ts';
import { runCli, startProcess, type ServiceProcess } from './processes.ts';
import { allTopics } from './runner.ts';
import { kafkaBrokers } from './services.ts';

/** Stages in start order: downstream first, so each stage's consumer exists before work reaches it. */
export const STAGE_ORDER = [...PIPELINE.stageNames].reverse();

export interface TestPipeline {
  prefix: string;
  topics: TopicNames;
  env: Record<string, string>;
  kit: KafkaTestKit;
  double: OllamaDouble;
  dbUrl: string;
  sql: pg.Pool;
  /** era.stored events seen so far, in arrival order. */
  stored: StoredEvent[];
  stages: Map<string, ServiceProcess>;
  startStage(name: string): Promise<ServiceProcess>;
  /** SIGTERM one stage and wait for its exit code. */
  stopStage(name: string): Promise<number | string>;
  /** Runs the CLI once with the pipeline's environment; resolves with exit code and output. */
  cli(args: string[], extraEnv?: Record<string, string>, timeoutMs?: number): Promise<{ code: number | string; output: string }>;
  /** Stops everything; resolves with the stage exit codes. */
  stop(): Promise<Record<string, number | string>>;
}

export interface PipelineOptions {
  dimension?: number;
  chunkTokens?: number;
  chunkOverlap?: number;
  /** Settings for every stage and CLI call. */
  extraEnv?: Record<string, string>;
  /** Settings for one stage only, e.g. `{ chunk: { FLOW_RATE: '100' } }`. */
  stageEnv?: Record<string, Record<string, string>>;
  /** Broker list to run against (a fault-injection instance). Default: the shared test broker. */
  brokers?: string[];
  /** PostgreSQL server to create the pipeline's database on (a fault-injection instance). Default: the shared one. */
  databaseUrl?: string;
}

export async function startPipeline({ dimension = 64, chunkTokens = 64, chunkOverlap = 8, extraEnv = {}, stageEnv = {}, brokers, databaseUrl }: PipelineOptions = {}): Promise<TestPipeline> {
  const kit = new KafkaTestKit(brokers);
  const prefix = uniqueName('p');
  kit.track(...allTopics(prefix));
  const topics = topicNames(prefix);
  const double = await startOllamaDouble({ dimension });
  const db = await createTestDatabase(databaseUrl);
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  // An idle connection ended by the server (DROP DATABASE … WITH (FORCE) in stop(), a database
  // outage) is re-emitted as a pool 'error'; unhandled, it would fail the whole test run.
  sql.on('error', () => undefined);
  const env: Record<string, string> = {
    KAFKA_BROKERS: (brokers ?? kafkaBrokers()).join(','), TOPIC_PREFIX: prefix, GROUP_PREFIX: uniqueName('g'), TOPIC_PARTITIONS: '3',
    DATABASE_URL: db.url, EMBEDDER: 'ollama', OLLAMA_HOST: double.url, EMBED_MODEL: 'all-minilm', EMBED_DIM: String(dimension),
    CHUNK_TOKENS: String(chunkTokens), CHUNK_OVERLAP: String(chunkOverlap), METRICS_PORT: '0', LOG_LEVEL: 'info',
    COMMIT_INTERVAL_MS: '200', FLOW_SAMPLE_MS: '1000', ...extraEnv,
  };
  const stages = new Map<string, ServiceProcess>();
  const stored: StoredEvent[] = [];
  const startStage = async (name: string): Promise<ServiceProcess> => {
    const p = startProcess('src/cli/main.ts', ['stage', name], { ...env, ...stageEnv[name] });
    stages.set(name, p);
    await p.waitForOutput(`"msg":"stage ${name} started"`, 90_000);
    return p;
  };
  for (const name of STAGE_ORDER) await startStage(name);
  const storedConsumer = kit.kafka.consumer({ groupId: uniqueName('stored-reader'), maxWaitTimeInMs: 100 });
  await storedConsumer.connect();
  await storedConsumer.subscribe({ topic: topics.stored, fromBeginning: true });
  // JSON events are read whole; with CODEC=avro only what the key and headers say (id, job).
  await storedConsumer.run({
    eachMessage: async ({ message }) => {
      const value = message.value!;
      if (value[0] !== 0) return void stored.push(JSON.parse(value.toString()) as StoredEvent);
      const jobId = message.headers?.[HEADERS.job]?.toString();
      stored.push({ id: message.key!.toString(), version: 0, chunks: 0, storedAt: Date.now(), ...(jobId ? { jobId } : {}) });
    },
  });

  const stopStage = async (name: string): Promise<number | string> => {
    const p = stages.get(name);
    if (!p) return -1;
    p.kill('SIGTERM');
    // Past its drain deadline (SHUTDOWN_TIMEOUT_MS, 20 s) plus a margin, a stage prints what it last said.
    const code = await slowStep(`stage ${name} after SIGTERM`, 40_000, () => p.exited, () => `; its output:\n${p.output().slice(-4000)}`);
    stages.delete(name);
    return code;
  };
  return {
    prefix, topics, env, kit, double, dbUrl: db.url, sql, stored, stages, startStage, stopStage,
    cli: (args, more = {}, timeoutMs = 60_000) => runCli(args, { ...env, LOG_LEVEL: 'warn', ...more }, timeoutMs),
    stop: async () => {
      const step = <T>(what: string, run: () => Promise<T>): Promise<T> => slowStep(`stop: ${what}`, 30_000, run);
      await step('disconnect the era.stored reader', () => storedConsumer.disconnect());
      const codes: Record<string, number | string> = {};
      await Promise.all([...stages.keys()].map(async (name) => (codes[name] = await stopStage(name))));
      await step('close the SQL pool', () => sql.end());
      await step('drop the database', () => db.drop());
      await step('close the Ollama double', () => double.close());
      await step('delete the topics', () => kit.cleanup());
      return codes;
    },
  };
}

/**
 * Runs one step of stopping the pipeline, saying so when it takes longer than `afterMs` (with
 * `detail()` appended), so a hang is diagnosable from the test output.
 */
async function slowStep<T>(what: string, afterMs: number, run: () => Promise<T>, detail: () => string = () => ''): Promise<T> {
  const slow = setTimeout(() => console.log(`[pipeline] ${what} still running after ${afterMs / 1000} s${detail()}`), afterMs);
  try {
    return await run();
  } finally {
    clearTimeout(slow);
  }
}
