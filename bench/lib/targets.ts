/**
 * The issue's performance targets and their evaluation against measured scenarios. Pure: the
 * figures come in, PASS / FALL SHORT / NOT MEASURED rows go out. These are benchmark targets
 * printed beside the results, not timed tests.
 */
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { replicaRows } from './replicas.ts';
import { ratio } from './stats.ts';
import type { BenchReport, IndexCost, ScenarioResult, TargetResult, TargetStatus } from './types.ts';

export const TARGETS = {
  kafkaChunksPerSec: 2_000,
  /** The target; 10× stays the aim. */
  naiveRatio: 5,
  embeddedChunksPerSec: 800,
  ceilingShare: 0.9,
  p95LatencyMs: 500,
  backlogRssMb: 150,
  backlogChunks: 100_000,
  /** CPU of the four stage processes per stored chunk, summed, ms. */
  stageCpuMsPerChunk: 0.4,
  /** Span calls with tracing off, as a share of the stages' CPU per chunk, %: nothing measurable. */
  tracingOffSharePct: 1,
} as const;

/** The pipeline's stage processes in a scenario's process list (not PostgreSQL, broker, harness): named after the declared stages. */
const STAGE_PROCESSES: readonly string[] = PIPELINE.stageNames;

export interface TargetInputs {
  scenarios: readonly ScenarioResult[];
  indexCost?: IndexCost;
  /** The Ollama double's settings of the ceiling runs. */
  double: DoubleSettings;
  /** The real model's ceiling (the `model` scenario), or why it was not measured. */
  model?: BenchReport['model'];
  /** The span calls per input with tracing off (the `tracing` scenario). */
  tracingOff?: BenchReport['tracingOff'];
}

/**
 * The Ollama-API test double as the ceiling runs set it: each request takes `latencyMs` plus
 * `itemLatencyMs` per input (so a bigger batch costs more), `concurrency` requests at once.
 */
export interface DoubleSettings {
  latencyMs: number;
  itemLatencyMs: number;
  concurrency: number;
  batchSize: number;
}

/** How long one full batch takes in the double, ms. */
export function doubleBatchMs({ latencyMs, itemLatencyMs, batchSize }: DoubleSettings): number {
  return latencyMs + itemLatencyMs * batchSize;
}

/** The double as a label: `Ollama double 50 ms + 2 ms/input × 2 concurrent, batch 16`. */
export function describeDouble(d: DoubleSettings): string {
  return `Ollama double ${d.latencyMs} ms + ${d.itemLatencyMs} ms/input × ${d.concurrency} concurrent, batch ${d.batchSize}`;
}

/** The embedding ceiling: concurrency × batch / (time of one full batch), chunks/s. */
export function embeddingCeiling(d: DoubleSettings): number {
  const batchMs = doubleBatchMs(d);
  return batchMs > 0 ? (d.concurrency * d.batchSize * 1000) / batchMs : Number.POSITIVE_INFINITY;
}

export function statusOf(measured: number | undefined, comparator: TargetResult['comparator'], threshold?: number): TargetStatus {
  if (measured === undefined || !Number.isFinite(measured)) return 'NOT MEASURED';
  if (comparator === 'info' || threshold === undefined) return 'INFO';
  return (comparator === '>=' ? measured >= threshold : measured <= threshold) ? 'PASS' : 'FALL SHORT';
}

const usable = (s: ScenarioResult): boolean => s.error === undefined && s.storedDocs > 0;

/** The usable scenario matching `where` with the most documents. */
function largest(scenarios: readonly ScenarioResult[], where: (s: ScenarioResult) => boolean): ScenarioResult | undefined {
  return scenarios.filter((s) => usable(s) && where(s)).sort((a, b) => b.docs - a.docs)[0];
}

/** Other work on the machine above this many cores makes a run's figures pessimistic. */
export const NOISY_CORES = 0.25;

function incomplete(s: ScenarioResult): string | undefined {
  const notes: string[] = [];
  if (s.successRate < 1) notes.push(`only ${(s.successRate * 100).toFixed(1)} % of the documents were stored`);
  if ((s.otherCpuCores ?? 0) > NOISY_CORES) notes.push(`other work used ${s.otherCpuCores!.toFixed(2)} cores during the run`);
  return notes.length ? notes.join('; ') : undefined;
}

function row(base: Omit<TargetResult, 'status' | 'source' | 'caveat'>, source: ScenarioResult | undefined, missing: string, measured?: number, caveats: Array<string | undefined> = []): TargetResult {
  const value = source ? measured : undefined;
  const caveat = caveats.filter(Boolean).join('; ');
  return {
    ...base,
    ...(value !== undefined ? { measured: value } : {}),
    status: statusOf(value, base.comparator, base.threshold),
    source: source ? source.id : missing,
    ...(caveat ? { caveat } : {}),
  };
}

export function evaluateTargets({ scenarios, indexCost, double, model, tracingOff }: TargetInputs): TargetResult[] {
  const rows: TargetResult[] = [];
  const isScaling = (mode: ScenarioResult['mode'], impl: ScenarioResult['implementation']) => (s: ScenarioResult) =>
    s.mode === mode && s.implementation === impl && s.embedder === 'hash' && s.kind === 'scaling';

  const kafka = largest(scenarios, isScaling('kafka', 'era-ingest'));
  rows.push(row({ id: 'kafka-throughput', description: 'Kafka mode, hash embedder, HNSW index: end-to-end chunks/s', unit: 'chunks/s', comparator: '>=', threshold: TARGETS.kafkaChunksPerSec },
    kafka, 'no Kafka scaling run', kafka?.chunksPerSec, kafka ? [incomplete(kafka)] : []));

  const naive = largest(scenarios, isScaling('kafka', 'naive'));
  const peer = naive ? largest(scenarios, (s) => isScaling('kafka', 'era-ingest')(s) && s.docs === naive.docs) ?? kafka : undefined;
  const stages = kafka?.processes.filter((p) => STAGE_PROCESSES.includes(p.name.replace(/-\d+$/, ''))) ?? []; // replicas: store-2
  const stageCpu = stages.reduce((sum, p) => sum + p.cpuSeconds, 0);
  rows.push(row({ id: 'stage-cpu', description: `Kafka mode: CPU of the ${PIPELINE.stages.length} stages per stored chunk, summed`, unit: 'ms/chunk', comparator: '<=', threshold: TARGETS.stageCpuMsPerChunk },
    kafka && stages.length > 0 && kafka.storedChunks > 0 ? kafka : undefined, kafka ? 'no stage process figures' : 'no Kafka scaling run',
    kafka && kafka.storedChunks > 0 ? (stageCpu * 1000) / kafka.storedChunks : undefined,
    kafka ? [stages.map((p) => `${p.name} ${((p.cpuSeconds * 1000) / kafka.storedChunks).toFixed(2)}`).join(', '), incomplete(kafka)] : []));

  // Every stage makes one span per input: the first stage and publish one per document, every
  // later stage one per chunk.
  const spansPerChunk = kafka && kafka.storedChunks > 0 ? PIPELINE.stages.length - 1 + (2 * kafka.storedDocs) / kafka.storedChunks : undefined;
  const stageCpuMs = kafka && stages.length > 0 && kafka.storedChunks > 0 ? (stageCpu * 1000) / kafka.storedChunks : undefined;
  rows.push(row({ id: 'tracing-off', description: 'Tracing off: span calls per stored chunk, share of the stages\' CPU per chunk', unit: '%', comparator: '<=', threshold: TARGETS.tracingOffSharePct },
    tracingOff && !tracingOff.tracingOn && stageCpuMs !== undefined ? kafka : undefined,
    !tracingOff ? 'no tracing scenario' : tracingOff.tracingOn ? 'OTEL_EXPORTER_OTLP_ENDPOINT was set: tracing was on' : 'no Kafka scaling run to compare with',
    tracingOff && spansPerChunk !== undefined && stageCpuMs !== undefined ? (tracingOff.perInputUs * spansPerChunk) / (stageCpuMs * 10) : undefined,
    tracingOff ? [`${tracingOff.perInputUs.toFixed(2)} µs per input${spansPerChunk !== undefined ? ` × ${spansPerChunk.toFixed(2)} inputs per chunk` : ''}${stageCpuMs !== undefined ? ` vs ${stageCpuMs.toFixed(2)} ms of stage CPU per chunk` : ''}`] : []));

  rows.push(row({ id: 'naive-ratio', description: `Kafka mode: era-ingest chunks/s ÷ naive baseline chunks/s (${10}× the aim)`, unit: '×', comparator: '>=', threshold: TARGETS.naiveRatio },
    naive && peer ? naive : undefined, naive ? 'no era-ingest run to compare with' : 'no naive baseline run',
    naive && peer ? ratio(peer.chunksPerSec, naive.chunksPerSec) : undefined,
    naive && peer ? [peer.docs !== naive.docs ? `compared with ${peer.id} (${peer.docs} documents)` : `vs ${peer.id}`, incomplete(naive)] : []));

  const embedded = largest(scenarios, isScaling('embedded', 'era-ingest'));
  rows.push(row({ id: 'embedded-throughput', description: 'Embedded mode (PGlite), hash embedder: chunks/s', unit: 'chunks/s', comparator: '>=', threshold: TARGETS.embeddedChunksPerSec },
    embedded, 'no embedded scaling run', embedded?.chunksPerSec, embedded ? [incomplete(embedded)] : []));

  const ceiling = embeddingCeiling(double);
  for (const mode of ['kafka', 'embedded'] as const) {
    const s = largest(scenarios, (x) => x.mode === mode && x.implementation === 'era-ingest' && x.embedder === 'double' && x.kind === 'ceiling');
    rows.push(row({
      id: `ceiling-${mode}`,
      description: `${mode === 'kafka' ? 'Kafka' : 'Embedded'} mode, ${describeDouble(double)}: ≥ ${TARGETS.ceilingShare * 100} % of the ${Math.round(ceiling)} chunks/s ceiling`,
      unit: 'chunks/s', comparator: '>=', threshold: TARGETS.ceilingShare * ceiling,
    }, s, `no ${mode} run with the Ollama double`, s?.chunksPerSec, s ? [`${((s.chunksPerSec / ceiling) * 100).toFixed(0)} % of the ceiling`, incomplete(s)] : []));
  }

  rows.push(...modelRows(scenarios, model));

  const rate = largest(scenarios, (s) => s.mode === 'kafka' && s.implementation === 'era-ingest' && s.embedder === 'hash' && s.kind === 'rate');
  const rateCaveats: Array<string | undefined> = [];
  if (rate?.publishRate) {
    rateCaveats.push(`published ${rate.publishRate.achieved.toFixed(0)} docs/s (asked ${rate.publishRate.asked.toFixed(0)})`);
    if (kafka && kafka.docsPerSec > 0) rateCaveats.push(`${((rate.publishRate.asked / kafka.docsPerSec) * 100).toFixed(0)} % of the max measured in ${kafka.id}`);
  }
  if (rate) rateCaveats.push(incomplete(rate));
  rows.push(row({ id: 'latency-p95', description: 'Kafka mode, sustained half of the max rate: p95 publish→stored', unit: 'ms', comparator: '<=', threshold: TARGETS.p95LatencyMs },
    rate, 'no sustained-rate run', rate?.latency?.p95, rateCaveats));

  const backlog = largest(scenarios, (s) => s.mode === 'kafka' && s.implementation === 'era-ingest' && s.kind === 'backlog');
  const worst = backlog?.processes.slice().sort((a, b) => b.peakRssMb - a.peakRssMb)[0];
  rows.push(row({ id: 'backlog-rss', description: `Kafka mode, draining a ${TARGETS.backlogChunks.toLocaleString('en')}-chunk backlog: peak RSS of every stage`, unit: 'MB', comparator: '<=', threshold: TARGETS.backlogRssMb },
    backlog && worst ? backlog : undefined, backlog ? 'no stage process figures' : 'no backlog run', worst?.peakRssMb,
    backlog ? [worst ? `worst: ${worst.name}; ${backlog.processes.map((p) => `${p.name} ${p.peakRssMb.toFixed(0)}`).join(', ')} MB` : undefined,
      backlog.chunks < TARGETS.backlogChunks ? `backlog was ${backlog.chunks.toLocaleString('en')} chunks, not ${TARGETS.backlogChunks.toLocaleString('en')}` : undefined, incomplete(backlog)] : []));

  rows.push({
    id: 'index-share',
    description: 'HNSW index: share of the store stage\'s write time (same batches with and without the index)',
    unit: '%',
    comparator: 'info',
    ...(indexCost ? { measured: indexCost.indexShare * 100 } : {}),
    status: indexCost ? 'INFO' : 'NOT MEASURED',
    source: indexCost ? `store micro-benchmark, ${indexCost.chunks} chunks in batches of ${indexCost.batchSize}` : 'no index run',
    ...(indexCost ? { caveat: `${indexCost.withIndexRowsPerSec.toFixed(0)} rows/s with, ${indexCost.withoutIndexRowsPerSec.toFixed(0)} rows/s without` } : {}),
  });
  rows.push(...replicaRows(scenarios));
  return rows;
}

/**
 * The real model (the `model` scenario), per mode: chunks the model embedded in the pipeline
 * per second ≥ TARGETS.ceilingShare × the model's own best throughput straight at /api/embed.
 */
function modelRows(scenarios: readonly ScenarioResult[], model: TargetInputs['model']): TargetResult[] {
  const ceiling = model && 'best' in model ? model : undefined;
  const missing = !model ? 'no model scenario' : 'skipped' in model ? `skipped: ${model.skipped}` : 'failed' in model ? `failed: ${model.failed}` : '';
  return (['kafka', 'embedded'] as const).map((mode) => {
    const s = ceiling ? largest(scenarios, (x) => x.mode === mode && x.implementation === 'era-ingest' && x.embedder === 'model' && x.kind === 'ceiling') : undefined;
    const best = ceiling?.best;
    const measured = s ? (s.embeddedChunks ?? s.storedChunks) / s.seconds : undefined;
    const noisy = ceiling?.levels.filter((l) => (l.otherCpuCores ?? 0) > NOISY_CORES).map((l) => `concurrency ${l.concurrency}`) ?? [];
    return row({
      id: `model-${mode}`,
      description: `${mode === 'kafka' ? 'Kafka' : 'Embedded'} mode, real model${ceiling ? ` ${ceiling.server.model}` : ''}: embedded chunks/s ≥ ${TARGETS.ceilingShare * 100} % of the model's own${best ? ` ${best.chunksPerSec.toFixed(1)} chunks/s (concurrency ${best.concurrency})` : ' throughput'}`,
      unit: 'chunks/s', comparator: '>=', ...(best ? { threshold: TARGETS.ceilingShare * best.chunksPerSec } : {}),
    }, s, ceiling ? `no ${mode} run with the model` : missing, measured, s && best && measured !== undefined ? [
      `${((measured / best.chunksPerSec) * 100).toFixed(0)} % of the ceiling`,
      `EMBED_CONCURRENCY=${s.settings.EMBED_CONCURRENCY ?? '?'}, EMBED_BATCH_SIZE=${s.settings.EMBED_BATCH_SIZE ?? '?'}`,
      incomplete(s),
      noisy.length ? `ceiling measured with other work at ${noisy.join(', ')}` : undefined,
    ] : []);
  });
}
