/**
 * Pure statistics of the benchmark: percentiles, latency summaries, per-second series.
 * No I/O, no clock: everything takes its samples and times as arguments.
 */
import type { LatencySummary, SeriesPoint } from './types.ts';

/**
 * The p-th percentile (0 < p ≤ 100) by the nearest-rank method: the smallest sample such
 * that at least p % of the samples are ≤ it. Always one of the samples (no interpolation),
 * so a p99 of 100 samples is the 99th smallest. `sorted` must be ascending.
 * @throws RangeError when `sorted` is empty or `p` is outside (0, 100].
 */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside (0, 100]`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Percentile of unsorted samples (copies and sorts them). */
export function percentile(samples: readonly number[], p: number): number {
  return percentileSorted([...samples].sort((a, b) => a - b), p);
}

/** count, min, mean, p50, p95, p99, max; undefined for no samples. Non-finite samples are dropped. */
export function summarize(samples: readonly number[]): LatencySummary | undefined {
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

/** A completed document as the harness saw it. */
export interface StoredSample {
  /** When it was seen stored, ms epoch. */
  at: number;
  chunks: number;
  /** publish→stored, ms. */
  latencyMs: number;
}

/**
 * Per-second buckets from `startMs` to `endMs`: documents and chunks stored per second, and
 * the p50/p95 latency of the documents stored in each bucket. Samples outside the range are
 * ignored. The last bucket may be partial; its rates are scaled to its real length.
 */
export function bucketSeries(samples: readonly StoredSample[], startMs: number, endMs: number, bucketMs = 1000): SeriesPoint[] {
  if (!(endMs > startMs) || !(bucketMs > 0)) return [];
  const count = Math.ceil((endMs - startMs) / bucketMs);
  const buckets = Array.from({ length: count }, () => ({ docs: 0, chunks: 0, latencies: [] as number[] }));
  for (const s of samples) {
    if (s.at < startMs || s.at > endMs) continue;
    const i = Math.min(count - 1, Math.floor((s.at - startMs) / bucketMs));
    const b = buckets[i]!;
    b.docs += 1;
    b.chunks += s.chunks;
    b.latencies.push(s.latencyMs);
  }
  return buckets.map((b, i) => {
    const span = Math.min(bucketMs, endMs - (startMs + i * bucketMs)) / 1000;
    const point: SeriesPoint = { t: (i * bucketMs) / 1000, docsPerSec: b.docs / span, chunksPerSec: b.chunks / span };
    if (b.latencies.length) {
      const sorted = b.latencies.sort((x, y) => x - y);
      point.p50Ms = percentileSorted(sorted, 50);
      point.p95Ms = percentileSorted(sorted, 95);
    }
    return point;
  });
}

/** A counter read at a time (e.g. a topic's end offset). */
export interface CounterSample {
  at: number;
  value: number;
}

/**
 * Rates of a monotone counter over per-second buckets aligned with {@link bucketSeries}:
 * the increase between the last sample at or before each bucket's end and the one before
 * its start, spread over the time between those samples.
 */
export function counterRates(samples: readonly CounterSample[], startMs: number, endMs: number, bucketMs = 1000): number[] {
  if (!(endMs > startMs) || samples.length === 0) return [];
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const valueAt = (t: number): number => {
    let v = sorted[0]!.value;
    for (const s of sorted) {
      if (s.at > t) break;
      v = s.value;
    }
    return v;
  };
  const count = Math.ceil((endMs - startMs) / bucketMs);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const from = startMs + i * bucketMs;
    const to = Math.min(endMs, from + bucketMs);
    out.push(Math.max(0, valueAt(to) - valueAt(from)) / ((to - from) / 1000));
  }
  return out;
}

/** Largest sum of `window` consecutive values divided by `window` (best sustained rate). */
export function peakWindow(values: readonly number[], window = 1): number {
  if (values.length === 0) return 0;
  const w = Math.max(1, Math.min(window, values.length));
  let sum = 0;
  for (let i = 0; i < w; i++) sum += values[i]!;
  let best = sum;
  for (let i = w; i < values.length; i++) {
    sum += values[i]! - values[i - w]!;
    best = Math.max(best, sum);
  }
  return best / w;
}

/** a / b, or 0 when b is 0 (rates of empty runs). */
export const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
