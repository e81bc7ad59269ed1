/**
 * What a Kafka-mode scenario reads from the era-ingest stages' /metrics (the naive baseline has
 * none: every figure here is then absent):
 * - `StageMetricsSampler`, every second while it runs: the largest V8 heap per stage, and the
 *   embed stage's adaptive concurrency limit (era_embed_concurrency_limit) with its time;
 * - `snapshot`, at the window's edges: CPU of the stage processes, the machine's busy time,
 *   seconds inside batch processing per stage, and the embed stage's request counters;
 * - `embedWindow`, pure: the embedding requests between two snapshots.
 */
import { metricSum, scrapeMetrics } from '../lib/child.ts';
import { readMachineCpu, type ProcessSampler, type ProcSnapshot } from '../lib/proc.ts';
import type { EmbedFigures } from '../lib/types.ts';
import type { BenchPipeline } from './pipeline.ts';

export interface HeapPeak {
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export class StageMetricsSampler {
  private readonly max = new Map<string, HeapPeak>();
  /** The embed stage's concurrency limit, one sample a second per embed process. */
  readonly limits: Array<{ at: number; limit: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly pipeline: BenchPipeline) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sample(), 1_000);
  }

  private async sample(): Promise<void> {
    await Promise.all([...this.pipeline.stages.values()].map(async (s) => {
      if (s.metricsPort === undefined) return;
      const text = await scrapeMetrics(s.metricsPort, 900);
      if (!text) return;
      const mb = (name: string): number => metricSum(text, name) / 1024 / 1024;
      const m = this.max.get(s.name) ?? { heapUsedMb: 0, heapTotalMb: 0, externalMb: 0 };
      this.max.set(s.name, {
        heapUsedMb: Math.max(m.heapUsedMb, mb('era_nodejs_heap_size_used_bytes')),
        heapTotalMb: Math.max(m.heapTotalMb, mb('era_nodejs_heap_size_total_bytes')),
        externalMb: Math.max(m.externalMb, mb('era_nodejs_external_memory_bytes')),
      });
      // The gauge is set at the first request: absent (0) before, which is no limit at all.
      const limit = s.stage === 'embed' ? metricSum(text, 'era_embed_concurrency_limit') : 0;
      if (limit > 0) this.limits.push({ at: Date.now(), limit });
    }));
  }

  /** Stops sampling (idempotent); the heap peaks by process name. */
  stop(): Map<string, HeapPeak> {
    clearInterval(this.timer);
    return this.max;
  }
}

/** The embed stage's counters (summed over its processes). */
export interface EmbedCounters {
  /** Requests answered (era_embed_request_seconds_count{outcome="ok"}). */
  requests: number;
  /** Their seconds (era_embed_request_seconds_sum{outcome="ok"}). */
  requestSeconds: number;
  /** Chunks whose stored vector was reused (era_embed_cache_hits_total). */
  cacheHits: number;
}

export interface Snapshot {
  cpu: Map<string, ProcSnapshot>;
  machine: { busy: number; total: number };
  /** Seconds inside batch processing (era_processing_seconds_sum), by process name. */
  processing: Record<string, number>;
  embed: EmbedCounters;
  /** This process (publisher, era.stored reader, samplers): user + system µs. */
  self: NodeJS.CpuUsage;
}

export async function snapshot(pipeline: BenchPipeline, sampler: ProcessSampler): Promise<Snapshot> {
  const cpu = sampler.sampleNow();
  const machine = readMachineCpu();
  const processing: Record<string, number> = {};
  const embed: EmbedCounters = { requests: 0, requestSeconds: 0, cacheHits: 0 };
  await Promise.all([...pipeline.stages.values()].map(async (s) => {
    if (s.metricsPort === undefined) return;
    const text = await scrapeMetrics(s.metricsPort);
    if (!text) return;
    processing[s.name] = metricSum(text, 'era_processing_seconds_sum', { stage: s.stage });
    if (s.stage !== 'embed') return;
    embed.requests += metricSum(text, 'era_embed_request_seconds_count', { outcome: 'ok' });
    embed.requestSeconds += metricSum(text, 'era_embed_request_seconds_sum', { outcome: 'ok' });
    embed.cacheHits += metricSum(text, 'era_embed_cache_hits_total');
  }));
  return { cpu, machine, processing, embed, self: process.cpuUsage() };
}

/**
 * The embedding requests between two snapshots: how many, their mean time and how full they
 * were (`embedded` chunks over them); undefined when no request was answered in between.
 */
export function embedWindow(before: EmbedCounters, after: EmbedCounters, embedded: number): EmbedFigures | undefined {
  const requests = after.requests - before.requests;
  if (requests <= 0) return undefined;
  return { requests, meanRequestMs: ((after.requestSeconds - before.requestSeconds) / requests) * 1000, inputsPerRequest: embedded / requests };
}
