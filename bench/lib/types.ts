/**
 * Shapes of the benchmark's results (the JSON export is a `BenchReport`). Times are ms unless
 * the name says otherwise; rates are per second.
 */

export type Mode = 'embedded' | 'kafka';
export type Implementation = 'era-ingest' | 'naive';
/** hash: built in; double: the Ollama TEST DOUBLE; model: a real model server (the `model` scenario). */
export type EmbedderChoice = 'hash' | 'double' | 'model';
/** `replicas`: a scaling burst with n processes of the bottleneck stage (`ScenarioResult.scaled`); `delivery`: a scaling burst with DELIVERY set. */
export type ScenarioKind = 'scaling' | 'rate' | 'backlog' | 'ceiling' | 'replicas' | 'delivery';

/** Latency distribution, ms. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One stage process (or the embedded process) during a scenario. */
export interface ProcessFigures {
  name: string;
  pid: number;
  /** Peak resident set (VmHWM), MB (10^6 bytes would mislead: MiB, labelled MB as `ps` does). */
  peakRssMb: number;
  /** Largest VmRSS seen while sampling, MB. */
  maxSampledRssMb: number;
  /** user + system CPU time during the measurement phase, s. */
  cpuSeconds: number;
  /** cpuSeconds / measurement wall time (1 = one core busy the whole time). */
  cpuShare: number;
  /** user + system CPU time over the whole life of the process (start-up included), s. */
  cpuSecondsTotal: number;
  /** Largest V8 heap (used / total) and external memory seen on /metrics, MB (era-ingest stages). */
  heapUsedMb?: number;
  heapTotalMb?: number;
  externalMb?: number;
}

/** Throughput of one stage, from its output topic's end offsets (store: stored events). */
export interface StageThroughput {
  name: string;
  /** Records the stage produced during the measurement (chunk: chunks, store: chunks stored). */
  records: number;
  /** records / the stage's active seconds (measurement start → its output stopped growing). */
  perSecond: number;
  /** Best 1 s window. */
  peakPerSecond: number;
  /** Largest input lag seen (end offset − committed offset of its group), records. */
  maxInputLag: number;
  /** Seconds the stage spent processing batches (era_processing_seconds_sum; era-ingest only). */
  processingSeconds?: number;
}

/** One point of the time series (1 s buckets from the start of the measurement). */
export interface SeriesPoint {
  /** Seconds since the measurement started (bucket start). */
  t: number;
  docsPerSec: number;
  chunksPerSec: number;
  /** publish→stored latency of the documents stored in this bucket, ms. */
  p50Ms?: number;
  p95Ms?: number;
  /** Output records/s per stage (Kafka mode). */
  stages?: Record<string, number>;
  /** Sampled VmRSS per process, MB. */
  rssMb?: Record<string, number>;
}

export interface ScenarioResult {
  id: string;
  title: string;
  mode: Mode;
  implementation: Implementation;
  embedder: EmbedderChoice;
  kind: ScenarioKind;
  /** Documents published (measured phase only; warm-up excluded). */
  docs: number;
  /** Chunks those documents cut into (computed with the same chunker settings). */
  chunks: number;
  warmupDocs: number;
  storedDocs: number;
  storedChunks: number;
  /** Wall time of the measured phase: first publish (or stage start, backlog) → last stored, s. */
  seconds: number;
  docsPerSec: number;
  chunksPerSec: number;
  /** publish→stored, from `era.published.at` to the arrival of the `era.stored` event. */
  latency?: LatencySummary;
  /** publish→storedAt (the store's write time inside the event). */
  latencyStoredAt?: LatencySummary;
  /** storedDocs / docs. */
  successRate: number;
  dlq: number;
  processes: ProcessFigures[];
  stages: StageThroughput[];
  series: SeriesPoint[];
  /**
   * CPU of the services during the measurement (Kafka mode): the PostgreSQL backends connected
   * to the run's database, and the broker process (shared with anything else using it).
   */
  services?: Array<{ name: string; cpuSeconds: number; cpuShare: number }>;
  /**
   * CPU used by everything else on the machine during the measurement, in cores: the machine's
   * busy time minus the processes and services above. Well above 0 means another workload
   * competed with this run (its figures are then pessimistic).
   */
  otherCpuCores?: number;
  /** Share of all CPUs busy (whole machine: broker, PostgreSQL and the bench too), 0..1. */
  machineCpuBusy?: number;
  /** Sustained-rate scenarios: asked and achieved publish rate, documents/s. */
  publishRate?: { asked: number; achieved: number; seconds: number };
  /** Store stage: seconds inside writeBatch (era_processing_seconds_sum). */
  storeProcessingSeconds?: number;
  settings: Record<string, string>;
  notes: string[];
  /** Embedded mode: where the wall time went (embedding in flight, store transactions, other queries), s. */
  phases?: { embedWallS: number; storeTransactionsS: number; otherQueriesS: number; embedCalls: number; embedMeanMs: number };
  /** Runs with a model (double or real): the embedding requests during the measured window. */
  embed?: EmbedFigures;
  /**
   * Chunks stored in the window whose vectors the model made (stored chunks minus vectors
   * reused from the store or the stage's cache): what the model's ceiling is compared with.
   */
  embeddedChunks?: number;
  /** `replicas` runs: the stage run with more than one process, and how many. */
  scaled?: { stage: string; replicas: number };
  /** Set when the scenario failed to run; the figures are then partial. */
  error?: string;
}

/** The embedding requests of a run's measured window, as the embedding stage saw them. */
export interface EmbedFigures {
  /** Requests answered. */
  requests: number;
  /** Their mean time (queueing in the server included), ms. */
  meanRequestMs: number;
  /** Chunks embedded per request (batch fill: EMBED_BATCH_SIZE when every request is full). */
  inputsPerRequest: number;
  /** The adaptive concurrency limit: share of the samples at each value ({"2": 0.9, "1": 0.1}). */
  limitShares?: Record<string, number>;
  /** Embedded mode: seconds with at least one request in flight (the model had work from us). */
  inFlightS?: number;
  /** Cores the model server's processes used during the window (a server on this machine). */
  serverCores?: number;
}

/** A real model server of the `model` scenario, as probed before measuring. */
export interface ModelServer {
  /** OLLAMA_HOST as given (comma-separated base URLs). */
  host: string;
  model: string;
  /** Ollama's /api/version answer. */
  version: string;
  /** Length of the model's vectors. */
  dimension: number;
}

/** The model's own throughput at one concurrency level (straight at /api/embed, no pipeline). */
export interface ModelCeilingLevel {
  concurrency: number;
  batches: number;
  chunks: number;
  seconds: number;
  chunksPerSec: number;
  /** Mean time of one request as the client saw it (waiting inside the server included), ms. */
  meanRequestMs: number;
  /** Cores the model server's processes used (a server on this machine). */
  serverCores?: number;
  /** Cores used by anything but the server and the bench meanwhile. */
  otherCpuCores?: number;
  machineCpuBusy?: number;
}

/** The `model` scenario's ceiling: the best of its concurrency levels. */
export interface ModelCeiling {
  server: ModelServer;
  /** Texts per request (= EMBED_BATCH_SIZE of the pipeline runs). */
  batchSize: number;
  /** Mean length of the chunk texts, tokens as the chunker counts them. */
  meanChunkTokens: number;
  levels: ModelCeilingLevel[];
  /** The level with the most chunks/s. */
  best: ModelCeilingLevel;
  notes: string[];
}

/** The store stage's cost of the HNSW index: the same batches written with and without it. */
export interface IndexCost {
  chunks: number;
  batchSize: number;
  withIndexSeconds: number;
  withoutIndexSeconds: number;
  withIndexRowsPerSec: number;
  withoutIndexRowsPerSec: number;
  /** (with − without) / with: the index's share of the store stage's write time. */
  indexShare: number;
}

/** INFO: a figure reported beside the targets, with no threshold. */
export type TargetStatus = 'PASS' | 'FALL SHORT' | 'NOT MEASURED' | 'INFO';

export interface TargetResult {
  id: string;
  description: string;
  unit: string;
  comparator: '>=' | '<=' | 'info';
  threshold?: number;
  measured?: number;
  status: TargetStatus;
  /** Which scenario gave the figure, or why it is missing. */
  source: string;
  caveat?: string;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  kafka?: string;
  postgres?: string;
  note: string;
}

export interface BenchReport {
  version: 1;
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: MachineInfo;
  options: Record<string, unknown>;
  scenarios: ScenarioResult[];
  indexCost?: IndexCost;
  /** JSON vs Avro sizes and rates (the `codecs` scenario, with SCHEMA_REGISTRY_URL). */
  codecs?: import('../codecs.ts').CodecFigures | { skipped: string };
  /** `era-ingest reembed` rate and search latency meanwhile (the `reembed` scenario, Kafka mode). */
  reembed?: ReembedFigures;
  /** The real model's own throughput (the `model` scenario), or why it was not measured. */
  model?: ModelCeiling | { skipped: string } | { failed: string };
  /** The span calls per input with tracing off (the `tracing` scenario, bench/tracing-off.ts). */
  tracingOff?: import('../tracing-off.ts').TracingOffFigures;
  targets: TargetResult[];
}

/** The `reembed` scenario's figures (bench/kafka/reembed.ts). */
export interface ReembedFigures {
  chunks: number;
  embedder: string;
  dimension: number;
  seconds: number;
  indexSeconds: number;
  /** Chunks re-embedded per second, index build excluded. */
  chunksPerSec: number;
  /** Chunks per second from the first vector written to the last (start-up and index excluded). */
  steadyChunksPerSec: number;
  passes: number;
  search: { before?: LatencySummary; during?: LatencySummary; errors: number; short: number };
}
