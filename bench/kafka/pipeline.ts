/**
 * One Kafka-mode pipeline under test: its own topics (unique TOPIC_PREFIX), consumer groups
 * (unique GROUP_PREFIX) and database (CREATE DATABASE bench_<id>, migrated, HNSW index in
 * place), the four stage processes (era-ingest or the naive baseline), and the Ollama test
 * double when asked (or the stages embed with a real model server it does not own, `model`).
 * `teardown()` stops everything it started and drops what it created.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pg from 'pg';
import { beginBulkLoad, finishBulkLoad, type FinishedBulkLoad } from '../../src/storage/bulk-load.ts';
import { DEFAULT_HNSW, migrate } from '../../src/storage/migrate.ts';
import { createPgClient } from '../../src/storage/pg-client.ts';
import { PIPELINE, type StageName } from '../../src/dataflow/pipeline.ts';
import { topicNames, topicSpecs, type TopicNames } from '../../src/dataflow/topics.ts';
import { ensureTopics } from '../../src/kafka/admin.ts';
import { stageGroupId } from '../../src/kafka/groups.ts';
import { startOllamaDouble, type OllamaDouble } from '../../test/helpers/ollama-double.ts';
import { imageNodeOptions } from '../lib/build.ts';
import { spawnChild, type BenchChild } from '../lib/child.ts';
import { embedderEnv } from '../lib/model.ts';
import type { Implementation, ModelServer } from '../lib/types.ts';
import type { DoubleSettings } from '../lib/targets.ts';

const IMAGE_NODE_OPTIONS = imageNodeOptions();

/** The pipeline's stages, in dataflow order. */
export const STAGES: readonly StageName[] = PIPELINE.stageNames;
export type Stage = StageName;

export interface PipelineSettings {
  brokers: string[];
  /** Server the benchmark databases are created on (its database is only used to CREATE/DROP). */
  adminDatabaseUrl: string;
  partitions: number;
  embedDim: number;
  /** Stage settings (PROFILE, FLOW_RATE, EMBED_BATCH_SIZE, …) passed to every stage. */
  stageEnv: Record<string, string>;
  /** Ollama double (a TEST DOUBLE, not a model server) instead of the hash embedder. */
  double?: DoubleSettings;
  /** A real model server (the `model` scenario) instead of the hash embedder; not with `double`. */
  model?: ModelServer;
  logDir: string;
  cpuProfDir?: string;
  /** Processes per stage (same consumer group: partitions are shared out). @defaultValue 1 each */
  replicas?: Partial<Record<Stage, number>>;
  /**
   * Vector index of the run's database: `hnsw` as migrated (the product), `none` (dropped),
   * `hnsw-m8` (m = 8, ef_construction = 32) — what-if runs for the store's index cost — or `bulk`
   * (`era-ingest db bulk-load begin` before the run, `end` after it: {@link finishBulkLoad}).
   * @defaultValue 'hnsw'
   */
  vectorIndex?: VectorIndex;
  /** The compiled CLI (dist/cli/main.js) the era-ingest stages run with plain node; unset: the sources through tsx (what-if --tsx). */
  compiledEntry?: string;
}

export const VECTOR_INDEXES = ['hnsw', 'none', 'hnsw-m8', 'bulk'] as const;
export type VectorIndex = (typeof VECTOR_INDEXES)[number];
const INDEX_SQL: Record<VectorIndex, string | undefined> = {
  hnsw: undefined,
  bulk: undefined,
  none: 'DROP INDEX chunks_embedding_hnsw',
  'hnsw-m8': 'DROP INDEX chunks_embedding_hnsw; CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 32)',
};

export interface RunningStage {
  /** Process name: the stage, or `<stage>-<n>` for its n-th replica. */
  name: string;
  stage: Stage;
  child: BenchChild;
  /** /metrics port (era-ingest stages only). */
  metricsPort?: number;
  startedAt: number;
}

export class BenchPipeline {
  readonly topics: TopicNames;
  readonly groupPrefix: string;
  readonly kafka: Kafka;
  /** By process name. */
  readonly stages = new Map<string, RunningStage>();
  double?: OllamaDouble;
  admin!: Admin;
  dbUrl!: string;
  readonly dbName: string;

  constructor(readonly id: string, readonly implementation: Implementation, private readonly settings: PipelineSettings) {
    this.topics = topicNames(id);
    this.groupPrefix = id;
    this.dbName = id.replace(/[^a-z0-9_]/g, '_');
    this.kafka = new Kafka({ clientId: `bench-${id}`, brokers: settings.brokers, logLevel: logLevel.NOTHING });
  }

  /** Groups of the stages and their input topics (for lag). */
  groups(): Array<{ name: Stage; groupId: string; topics: string[] }> {
    return STAGES.map((name) => ({ name, groupId: stageGroupId(this.groupPrefix, name), topics: PIPELINE.inputTopics(PIPELINE.stage(name), this.id) }));
  }

  /** Database, schema, topics, double. */
  async setup(): Promise<void> {
    const admin = new pg.Client({ connectionString: this.settings.adminDatabaseUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${this.dbName}`);
    } finally {
      await admin.end();
    }
    const url = new URL(this.settings.adminDatabaseUrl);
    url.pathname = `/${this.dbName}`;
    this.dbUrl = url.toString();
    const client = createPgClient(this.dbUrl, { max: 1 });
    try {
      await migrate(client, { dimension: this.settings.embedDim });
      const indexSql = INDEX_SQL[this.settings.vectorIndex ?? 'hnsw'];
      if (indexSql) await client.query(indexSql);
      if (this.settings.vectorIndex === 'bulk') await beginBulkLoad(client);
    } finally {
      await client.close();
    }
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await ensureTopics(this.admin, topicSpecs(this.id), { partitions: this.settings.partitions, replicationFactor: 1, maxMessageBytes: 11 * 1024 * 1024 });
    if (this.settings.double) {
      this.double = await startOllamaDouble({ dimension: this.settings.embedDim, maxConcurrent: this.settings.double.concurrency });
      this.double.setLatency(this.settings.double.latencyMs, this.settings.double.itemLatencyMs);
    }
  }

  env(): Record<string, string> {
    return {
      KAFKA_BROKERS: this.settings.brokers.join(','),
      TOPIC_PREFIX: this.id,
      GROUP_PREFIX: this.groupPrefix,
      TOPIC_PARTITIONS: String(this.settings.partitions),
      DATABASE_URL: this.dbUrl,
      EMBED_DIM: String(this.settings.embedDim),
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      // As the container image runs them (the Dockerfile's ENV); --stage-env can override it.
      NODE_OPTIONS: IMAGE_NODE_OPTIONS,
      ...embedderEnv({ doubleUrl: this.double?.url, model: this.settings.model }),
      ...this.settings.stageEnv,
    };
  }

  /** `bulk` runs: builds the index after the load as `era-ingest db bulk-load end` does (one parallel worker: 2 cores). */
  async finishBulkLoad(): Promise<FinishedBulkLoad> {
    const client = createPgClient(this.dbUrl, { max: 1 });
    try {
      return await finishBulkLoad(client, DEFAULT_HNSW, { workers: 1, memory: '1GB' });
    } finally {
      await client.close();
    }
  }

  /** Starts the four stage processes at once; resolves when every one reports it started. */
  async startStages(): Promise<void> {
    const env = this.env();
    const processes = STAGES.flatMap((stage) => Array.from({ length: this.settings.replicas?.[stage] ?? 1 }, (_, i) => ({ stage, name: i === 0 ? stage : `${stage}-${i + 1}` })));
    await Promise.all(processes.map(async ({ stage: name, name: processName }) => {
      const naive = this.implementation === 'naive';
      const child = spawnChild({
        name: processName,
        entry: naive ? 'bench/baselines/naive-stage.ts' : this.settings.compiledEntry ?? 'src/cli/main.ts',
        plainNode: !naive && this.settings.compiledEntry !== undefined,
        args: naive ? [name] : ['stage', name],
        env,
        logFile: `${this.settings.logDir}/${this.id}-${processName}.log`,
        ...(this.settings.cpuProfDir && !naive ? { cpuProfDir: `${this.settings.cpuProfDir}/${this.id}` } : {}),
      });
      const stage: RunningStage = { name: processName, stage: name, child, startedAt: 0 };
      this.stages.set(processName, stage);
      if (naive) {
        await child.waitFor(new RegExp(`naive stage ${name} started`), 90_000);
      } else {
        const port = await child.waitFor(/"port":(\d+),"msg":"metrics, \/healthz and \/readyz listening"/, 90_000);
        stage.metricsPort = Number(port[1]);
        await child.waitFor(new RegExp(`"msg":"stage ${name} started"`), 90_000);
      }
      stage.startedAt = Date.now();
    }));
  }

  /** SIGTERM every stage (drain, commit); resolves with the exit codes. */
  async stopStages(): Promise<Record<string, number | string>> {
    const codes: Record<string, number | string> = {};
    await Promise.all([...this.stages.values()].map(async (s) => (codes[s.name] = await s.child.stop(30_000))));
    return codes;
  }

  /** Stops the stages and the double; drops topics, groups (and `extraGroups`) and the database unless `keep`. */
  async teardown(keep = false, extraGroups: string[] = []): Promise<void> {
    const steps: Array<() => Promise<unknown>> = [
      () => this.stopStages(),
      async () => this.double?.close(),
      async () => !keep && this.admin && this.admin.deleteTopics({ topics: Object.values(this.topics) }),
      async () => !keep && this.admin && this.admin.deleteGroups([...this.groups().map((g) => g.groupId), ...extraGroups]),
      async () => this.admin?.disconnect(),
      async () => {
        if (keep || !this.dbUrl) return;
        const c = new pg.Client({ connectionString: this.settings.adminDatabaseUrl });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    ];
    for (const step of steps) await step().catch(() => undefined);
  }
}
