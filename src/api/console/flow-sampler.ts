/**
 * The console's flow page data: every `intervalMs` (5 s) each source's Prometheus exposition is
 * read (a stage's /metrics over HTTP, or `serve`'s own registry for the stages it runs in
 * process) and one point per stage is kept for the last `windowMs` (10 minutes):
 * - throughput: outputs per second (the rise of `era_messages_out_total` since the last point;
 *   a counter that went down — a restarted stage — counts from zero),
 * - input lag: `era_consumer_lag` summed over the stage's partitions,
 * - paused partitions: `era_paused_partitions`,
 * - rate: the adaptive controller's admission rate, `era_flow_rate_per_second`.
 * A source that does not answer is reported as down at that point and contributes nothing.
 * Stages are the dataflow declaration's; several sources for one stage (replicas) add up.
 */
import { metricSum } from '../../metrics/exposition.ts';

export interface FlowSource {
  /** Shown when the source is down: its URL, or "this process". */
  name: string;
  read(): Promise<string>;
}

export interface StagePoint {
  throughput: number;
  lag: number;
  paused: number;
  rate: number;
}

export interface FlowPoint {
  /** ms epoch. */
  at: number;
  stages: Record<string, StagePoint>;
  /** Sources that did not answer. */
  down: string[];
}

export interface FlowSnapshot {
  stages: readonly string[];
  intervalMs: number;
  points: readonly FlowPoint[];
  sources: readonly string[];
}

export interface FlowSamplerOptions {
  stages: readonly string[];
  sources: readonly FlowSource[];
  /** @defaultValue 5_000 */
  intervalMs?: number;
  /** @defaultValue 600_000 */
  windowMs?: number;
  now?: () => number;
}

export class FlowSampler {
  private readonly points: FlowPoint[] = [];
  private readonly lastOut = new Map<string, { total: number; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly options: FlowSamplerOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.windowMs = options.windowMs ?? 600_000;
    this.now = options.now ?? Date.now;
  }

  /** Samples now and then every interval, until stop(). */
  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads every source once and appends a point. Never throws. */
  async sample(): Promise<FlowPoint> {
    const at = this.now();
    const texts = await Promise.all(this.options.sources.map(async (s) => ({ s, text: await s.read().catch(() => undefined) })));
    const down = texts.filter((t) => t.text === undefined).map((t) => t.s.name);
    const stages: Record<string, StagePoint> = {};
    for (const stage of this.options.stages) {
      const point: StagePoint = { throughput: 0, lag: 0, paused: 0, rate: 0 };
      for (const { s, text } of texts) {
        if (text === undefined) continue;
        const labels = { stage };
        point.lag += metricSum(text, 'era_consumer_lag', labels);
        point.paused += metricSum(text, 'era_paused_partitions', labels);
        point.rate += metricSum(text, 'era_flow_rate_per_second', labels);
        const total = metricSum(text, 'era_messages_out_total', labels);
        const key = `${s.name}\u0000${stage}`;
        const last = this.lastOut.get(key);
        if (last && at > last.at) point.throughput += Math.max(0, total >= last.total ? total - last.total : total) / ((at - last.at) / 1000);
        this.lastOut.set(key, { total, at });
      }
      stages[stage] = point;
    }
    const sample: FlowPoint = { at, stages, down };
    this.points.push(sample);
    while (this.points.length > 0 && this.points[0]!.at < at - this.windowMs) this.points.shift();
    return sample;
  }

  snapshot(): FlowSnapshot {
    return { stages: this.options.stages, intervalMs: this.intervalMs, points: [...this.points], sources: this.options.sources.map((s) => s.name) };
  }
}

/** A stage's /metrics over HTTP (2 s timeout). */
export function httpSource(url: string): FlowSource {
  return {
    name: url,
    read: async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return res.text();
    },
  };
}
