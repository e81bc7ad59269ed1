/**
 * Flow-control presets selected by PROFILE (DESIGN.md §5): worker concurrency, batch sizes,
 * rates, pool sizes and retry policy for a laptop (`local`), a standard pod (`standard`) and a
 * big pod (`high-throughput`).
 *
 * Precedence: CLI flag (loadConfig overrides) > explicit env > preset > schema default. Merge
 * with `loadConfig(applyPreset(profile, process.env), flags)`. Only the settings that exist in
 * src/config/schema.ts go through the env (`presetDefaults`); the others (rates, stage batch
 * sizes, retry, lag limit) are read from `PRESETS[profile]` by the wiring.
 *
 * `standard` equals the schema defaults, so the default PROFILE changes nothing by itself.
 */
import { SETTINGS, type Config } from './schema.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';

export type Profile = Config['profile'];

export interface Preset {
  /** MAX_IN_FLIGHT: messages a stage holds before pausing its partitions. */
  readonly maxInFlight: number;
  /** MAX_IN_FLIGHT_BYTES; must stay ≥ MAX_DOCUMENT_BYTES or the largest document never fits. */
  readonly maxInFlightBytes: number;
  /** EMBED_BATCH_SIZE: chunks per embedding request. */
  readonly embedBatchSize: number;
  /** EMBED_CONCURRENCY: upper bound of the AIMD embedding concurrency. */
  readonly embedConcurrency: number;
  /** Store stage batch: documents' records per database transaction. */
  readonly storeBatchSize: number;
  /** STORE_WRITERS: store batches written at once (≤ dbPoolSize). */
  readonly storeWriters: number;
  /** Chunk stage batch: raw documents per processing batch. */
  readonly chunkBatchSize: number;
  /** Base rate of a stage's token bucket, messages/s; Infinity = unlimited (pauseAll still acts). */
  readonly ratePerSec: number;
  /** Token bucket capacity, messages. */
  readonly burst: number;
  /** DB_POOL_SIZE: PostgreSQL connections per process. */
  readonly dbPoolSize: number;
  /** Dependency retry backoff (attempts unlimited, bounded in time by RETRY_DEADLINE_MS; an outage is never dead-lettered). */
  readonly retry: Readonly<Pick<RetryPolicy, 'initialMs' | 'maxMs' | 'factor'>>;
  /** Downstream group lag (messages) on a stage's output topic that counts as full (fill 1). */
  readonly downstreamLagLimit: number;
}

const MiB = 1024 * 1024;

export const PRESETS: Readonly<Record<Profile, Preset>> = Object.freeze({
  /** A laptop: embedded PGlite or a local PostgreSQL, CPU Ollama or the hash embedder. */
  local: Object.freeze({
    maxInFlight: 500, // keeps memory small; plenty for one CPU
    maxInFlightBytes: 32 * MiB, // ≥ 3 × the default MAX_DOCUMENT_BYTES (10 MiB)
    embedBatchSize: 16, // CPU Ollama: larger requests only add latency
    embedConcurrency: 1, // one model instance on a laptop; more requests just queue
    storeBatchSize: 64, // short transactions, quick feedback in the demo
    storeWriters: 1, // one core for PostgreSQL on a laptop; PGlite serialises anyway
    chunkBatchSize: 8,
    ratePerSec: Number.POSITIVE_INFINITY, // as fast as it goes: in-flight limits and pauseAll bound it
    burst: 500, // = maxInFlight; used only if a rate is set at run time
    dbPoolSize: 2, // PGlite has one connection; a local server needs few
    retry: Object.freeze({ initialMs: 100, maxMs: 5_000, factor: 2 }), // pick up a just-started service fast
    downstreamLagLimit: 5_000, // 10 × maxInFlight of the next stage
  }),
  /** A standard pod (2–4 vCPU), an Ollama service with a few replicas, a shared PostgreSQL. */
  standard: Object.freeze({
    maxInFlight: 2_000, // = schema default
    maxInFlightBytes: 64 * MiB, // = schema default
    embedBatchSize: 16, // = schema default
    embedConcurrency: 2, // = schema default
    storeBatchSize: 256, // = the store stage's default batch
    storeWriters: 2, // = schema default: HNSW upkeep is CPU-bound per backend
    chunkBatchSize: 16, // = the chunk stage's default batch
    ratePerSec: 1_000, // adaptive range [333, 3 000] messages/s per process
    burst: 2_000, // = maxInFlight: a refilled bucket can fill the pipeline once
    dbPoolSize: 4, // = schema default
    retry: Object.freeze({ initialMs: 200, maxMs: 30_000, factor: 2 }), // = DEFAULT_RETRY_POLICY
    downstreamLagLimit: 20_000, // 10 × maxInFlight of the next stage
  }),
  /** A big pod (16+ vCPU) with a GPU Ollama pool and a dedicated PostgreSQL. */
  'high-throughput': Object.freeze({
    maxInFlight: 10_000,
    maxInFlightBytes: 256 * MiB,
    embedBatchSize: 64, // GPUs embed large batches at almost the cost of small ones
    embedConcurrency: 8, // upper bound; AIMD finds the real limit from latency and 503s
    storeBatchSize: 512, // fewer, larger transactions
    storeWriters: 8, // a dedicated PostgreSQL with many cores
    chunkBatchSize: 64,
    ratePerSec: 10_000, // adaptive range [3 333, 30 000] messages/s per process
    burst: 20_000,
    dbPoolSize: 16,
    retry: Object.freeze({ initialMs: 500, maxMs: 60_000, factor: 2 }), // many pods: back off harder on a shared dependency
    downstreamLagLimit: 100_000,
  }),
});

/** Preset fields that are settings of src/config/schema.ts, by setting key. */
const PRESET_SETTINGS = ['maxInFlight', 'maxInFlightBytes', 'embedBatchSize', 'embedConcurrency', 'dbPoolSize', 'storeWriters'] as const;

/** Env names of the settings a preset supplies: MAX_IN_FLIGHT, MAX_IN_FLIGHT_BYTES, … */
export type PresetEnvName = (typeof SETTINGS)[(typeof PRESET_SETTINGS)[number]]['env'];

/**
 * The dependency retry policy of a configuration, the one every retry loop uses: the PROFILE
 * preset's backoff, attempts unlimited, one failure retried for RETRY_DEADLINE_MS — or, when
 * that is not set, for `defaultDeadlineMs` (stage services: until the dependency is back;
 * `era-ingest run`: RUN_RETRY_DEADLINE_MS).
 */
export function retryPolicyFor({ profile, retryDeadlineMs }: Pick<Config, 'profile' | 'retryDeadlineMs'>, defaultDeadlineMs: number = Number.POSITIVE_INFINITY): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...PRESETS[profile].retry, deadlineMs: retryDeadlineMs ?? defaultDeadlineMs };
}

export function isProfile(value: unknown): value is Profile {
  return typeof value === 'string' && Object.hasOwn(PRESETS, value);
}

function presetOf(profile: Profile): Preset {
  if (!isProfile(profile)) throw new RangeError(`PROFILE=${JSON.stringify(profile)} is not a preset; expected one of ${Object.keys(PRESETS).join(', ')}`);
  return PRESETS[profile];
}

/** The preset's values of schema settings, as env strings keyed by env name. */
export function presetDefaults(profile: Profile): Record<PresetEnvName, string> {
  const preset = presetOf(profile);
  const out = {} as Record<PresetEnvName, string>;
  for (const key of PRESET_SETTINGS) out[SETTINGS[key].env] = String(preset[key]);
  return out;
}

/**
 * A new env: `explicitEnv` with the preset's defaults filled in where a variable is unset
 * (undefined; an empty string counts as set). Does not modify `explicitEnv`.
 * @throws RangeError when `profile` is not a preset (check with `isProfile` first).
 */
export function applyPreset(profile: Profile, explicitEnv: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...explicitEnv };
  for (const [name, value] of Object.entries(presetDefaults(profile))) merged[name] ??= value;
  return merged;
}
