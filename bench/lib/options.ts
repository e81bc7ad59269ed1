/**
 * `era-ingest bench` options: parsed and validated once, defaults merged once (full or
 * --quick). Pure: flags in, BenchOptions out, UsageError naming the flag and the fix.
 */
import { PIPELINE, type StageName } from '../../src/dataflow/pipeline.ts';
import type { DoubleSettings } from './targets.ts';

/**
 * Every scenario runs unless --scenarios names a subset. `codecs` and `model` need a service
 * the bench does not start (SCHEMA_REGISTRY_URL, OLLAMA_HOST): without it they are skipped with
 * a note saying how to provide one, and the other scenarios run as usual.
 */
export const SCENARIOS = ['scaling', 'baseline', 'ceiling', 'rate', 'backlog', 'delivery', 'tracing', 'index', 'codecs', 'reembed', 'model', 'replicas'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export class UsageError extends Error {}

export interface BenchOptions {
  modes: Array<'embedded' | 'kafka'>;
  scenarios: ScenarioName[];
  /** Scaling runs: documents per run. */
  docs: number[];
  /** Embedder of the scaling, baseline, rate and backlog runs. */
  embedder: 'hash' | 'double';
  /** Ollama double (ceiling runs, and every run with --embedder double); batchSize and concurrency also set EMBED_BATCH_SIZE / EMBED_CONCURRENCY. */
  double: DoubleSettings;
  /** Documents of the ceiling runs. */
  ceilingDocs: number;
  /** Sustained rate, documents/s; undefined = half of the largest Kafka scaling run's rate. */
  rate?: number;
  durationS: number;
  backlogChunks: number;
  baselineDocs: number;
  /** `replicas`: documents of each run (1, 2 and 3 processes of the bottleneck stage). */
  replicaDocs: number;
  indexChunks: number;
  /** Chunks stored before the re-embedding run. */
  reembedChunks: number;
  /** `model`: documents of each pipeline run with the real model; undefined = 40 s of embedding at the measured ceiling, at least 50. */
  modelDocs?: number;
  /** `model`: batches per concurrency level of the ceiling; undefined = calibrated for ≥ 15 s a level. */
  modelBatches?: number;
  /** Warm-up documents; undefined = 10 % of the run, between 20 and 500. */
  warmup?: number;
  cooldownS: number;
  partitions: number;
  profile: string;
  flowRate: string;
  stageEnv: Record<string, string>;
  /** JSON path; the SVG goes next to it. */
  out: string;
  cpuProf: boolean;
  keep: boolean;
  quick: boolean;
  json: boolean;
  stallS: number;
  /** Longest wait for a quiet machine before each scenario, s (0 = do not wait). */
  idleWaitS: number;
  /** Kafka mode: processes per stage (what-if: scaling a stage out by partitions). */
  replicas: Partial<Record<StageName, number>>;
  /** Kafka mode: vector index of the runs' databases (what-if); the targets assume `hnsw`. */
  vectorIndex: 'hnsw' | 'none' | 'hnsw-m8' | 'bulk';
  /** Publish with an era.job header (job-status writes by every stage), as `era-ingest publish` does. */
  job: boolean;
  /** What-if: stage processes from the TypeScript sources through tsx instead of the compiled dist/. */
  tsx: boolean;
  /** Runs again (at most this many times) when other work used more than 0.25 cores; the quietest attempt is kept. */
  retries: number;
}

export interface RawBenchFlags {
  mode?: string;
  scenarios?: string;
  docs?: string;
  embedder?: string;
  latency?: string;
  itemLatency?: string;
  concurrency?: string;
  batch?: string;
  ceilingDocs?: string;
  rate?: string;
  duration?: string;
  backlogChunks?: string;
  baselineDocs?: string;
  replicaDocs?: string;
  indexChunks?: string;
  reembedChunks?: string;
  modelDocs?: string;
  modelBatches?: string;
  warmup?: string;
  cooldown?: string;
  partitions?: string;
  profile?: string;
  flowRate?: string;
  stageEnv?: string[];
  out?: string;
  cpuProf?: boolean;
  keep?: boolean;
  quick?: boolean;
  json?: boolean;
  stall?: string;
  idleWait?: string;
  replicas?: string;
  vectorIndex?: string;
  /** commander's --no-job gives job: false. */
  job?: boolean;
  retries?: string;
  tsx?: boolean;
}

const DEFAULTS = {
  full: { docs: [100, 1_000, 10_000], durationS: 60, backlogChunks: 100_000, baselineDocs: 1_000, replicaDocs: 2_000, ceilingDocs: 2_500, indexChunks: 20_000, reembedChunks: 20_000, cooldownS: 5 },
  quick: { docs: [100, 1_000], durationS: 20, backlogChunks: 20_000, baselineDocs: 1_000, replicaDocs: 1_000, ceilingDocs: 1_000, indexChunks: 5_000, reembedChunks: 5_000, cooldownS: 2 },
} as const;

function int(flag: string, value: string | undefined, fallback: number, min: number, max = 10_000_000): number {
  if (value === undefined) return fallback;
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} ${value} is invalid: give a whole number from ${min} to ${max}`);
  return n;
}

function positive(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} ${value} is invalid: give a number above 0`);
  return n;
}

function list<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length || items.length === 0) throw new UsageError(`--${flag} ${value} is invalid: use a comma list of ${allowed.join(', ')}`);
  return [...new Set(items)] as T[];
}

/** Stamp for result file names: 2026-11-29T10-00-00Z. */
export const timestamp = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');

export function parseBenchOptions(flags: RawBenchFlags, now = new Date()): BenchOptions {
  const quick = flags.quick === true;
  const d = quick ? DEFAULTS.quick : DEFAULTS.full;
  const mode = flags.mode ?? 'all';
  if (!['embedded', 'kafka', 'all'].includes(mode)) throw new UsageError(`--mode ${mode} is invalid: use embedded, kafka or all`);
  const embedder = flags.embedder ?? 'hash';
  if (embedder !== 'hash' && embedder !== 'double') throw new UsageError(`--embedder ${embedder} is invalid: use hash (built-in) or double (the Ollama test double)`);
  const docs = flags.docs === undefined ? [...d.docs] : flags.docs.split(',').map((s) => int('docs', s.trim(), 0, 1));
  const flowRate = flags.flowRate ?? 'unlimited';
  if (flowRate !== 'unlimited' && positive('flow-rate', flowRate) === undefined) throw new UsageError(`--flow-rate ${flowRate} is invalid`);
  const profile = flags.profile ?? 'standard';
  if (!['local', 'standard', 'high-throughput'].includes(profile)) throw new UsageError(`--profile ${profile} is invalid: use local, standard or high-throughput`);
  const stageEnv: Record<string, string> = {};
  for (const pair of flags.stageEnv ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!m) throw new UsageError(`--stage-env ${pair} is invalid: use NAME=value (e.g. MAX_IN_FLIGHT=4000)`);
    stageEnv[m[1]!] = m[2]!;
  }
  const replicas: BenchOptions['replicas'] = {};
  for (const pair of (flags.replicas ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([a-z-]+)=(\d+)$/.exec(pair);
    if (!m || !PIPELINE.has(m[1]!) || Number(m[2]) < 1 || Number(m[2]) > 16) throw new UsageError(`--replicas ${flags.replicas} is invalid: use stage=n pairs (stages: ${PIPELINE.stageNames.join(', ')}), n from 1 to 16 (e.g. store=2)`);
    replicas[m[1] as StageName] = Number(m[2]);
  }
  const vectorIndex = flags.vectorIndex ?? 'hnsw';
  if (!['hnsw', 'none', 'hnsw-m8', 'bulk'].includes(vectorIndex)) throw new UsageError(`--vector-index ${vectorIndex} is invalid: use hnsw (as migrated), none, hnsw-m8 or bulk`);
  const rate = positive('rate', flags.rate);
  const warmup = flags.warmup === undefined ? undefined : int('warmup', flags.warmup, 0, 0);
  const modelDocs = flags.modelDocs === undefined ? undefined : int('model-docs', flags.modelDocs, 0, 1, 100_000);
  const modelBatches = flags.modelBatches === undefined ? undefined : int('model-batches', flags.modelBatches, 0, 1, 100_000);
  return {
    modes: mode === 'all' ? ['embedded', 'kafka'] : [mode as 'embedded' | 'kafka'],
    scenarios: flags.scenarios ? list('scenarios', flags.scenarios, SCENARIOS) : [...SCENARIOS],
    docs,
    embedder,
    double: {
      latencyMs: int('latency', flags.latency, 20, 0, 60_000),
      itemLatencyMs: int('item-latency', flags.itemLatency, 2, 0, 60_000),
      concurrency: int('concurrency', flags.concurrency, 2, 1, 256),
      batchSize: int('batch', flags.batch, 16, 1, 1024),
    },
    ceilingDocs: int('ceiling-docs', flags.ceilingDocs, d.ceilingDocs, 1),
    ...(rate !== undefined ? { rate } : {}),
    durationS: int('duration', flags.duration, d.durationS, 1, 86_400),
    backlogChunks: int('backlog-chunks', flags.backlogChunks, d.backlogChunks, 1),
    baselineDocs: int('baseline-docs', flags.baselineDocs, d.baselineDocs, 1),
    replicaDocs: int('replica-docs', flags.replicaDocs, d.replicaDocs, 1),
    indexChunks: int('index-chunks', flags.indexChunks, d.indexChunks, 1),
    reembedChunks: int('reembed-chunks', flags.reembedChunks, d.reembedChunks, 1),
    ...(modelDocs !== undefined ? { modelDocs } : {}),
    ...(modelBatches !== undefined ? { modelBatches } : {}),
    ...(warmup !== undefined ? { warmup } : {}),
    cooldownS: int('cooldown', flags.cooldown, d.cooldownS, 0, 3_600),
    partitions: int('partitions', flags.partitions, 6, 1, 1_000),
    profile,
    flowRate,
    stageEnv,
    out: flags.out ?? `bench/results/${timestamp(now)}.json`,
    cpuProf: flags.cpuProf === true,
    keep: flags.keep === true,
    quick,
    json: flags.json === true,
    stallS: int('stall', flags.stall, 60, 5, 3_600),
    idleWaitS: int('idle-wait', flags.idleWait, 120, 0, 3_600),
    replicas,
    vectorIndex: vectorIndex as BenchOptions['vectorIndex'],
    job: flags.job !== false,
    retries: int('retries', flags.retries, 0, 0, 10),
    tsx: flags.tsx === true,
  };
}

/** Warm-up documents for a run of `docs`: 10 %, between 20 and 500 (or the --warmup value). */
export function warmupFor(docs: number, options: Pick<BenchOptions, 'warmup'>): number {
  return options.warmup ?? Math.min(500, Math.max(20, Math.round(docs * 0.1)));
}
