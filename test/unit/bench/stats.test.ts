import { describe, expect, it } from 'vitest';
import { bucketSeries, counterRates, peakWindow, percentile, percentileSorted, summarize } from '../../../bench/lib/stats.ts';

describe('benchmark percentiles', () => {
  it('uses the nearest-rank method (always one of the samples)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentileSorted(values, 50)).toBe(50);
    expect(percentileSorted(values, 95)).toBe(95);
    expect(percentileSorted(values, 99)).toBe(99);
    expect(percentileSorted(values, 100)).toBe(100);
    expect(percentileSorted([7], 99)).toBe(7);
    expect(percentileSorted([1, 2, 3, 4], 50)).toBe(2);
    expect(percentileSorted([1, 2, 3, 4], 51)).toBe(3);
  });

  it('sorts unsorted samples without changing them', () => {
    const samples = [30, 10, 20];
    expect(percentile(samples, 50)).toBe(20);
    expect(samples).toEqual([30, 10, 20]);
  });

  it('refuses empty input and percentiles outside (0, 100]', () => {
    expect(() => percentileSorted([], 50)).toThrow(RangeError);
    expect(() => percentileSorted([1], 0)).toThrow(RangeError);
    expect(() => percentileSorted([1], 101)).toThrow(RangeError);
  });

  it('summarizes a latency distribution and drops non-finite samples', () => {
    const s = summarize([5, 1, 3, Number.NaN, 2, 4, Number.POSITIVE_INFINITY]);
    expect(s).toEqual({ count: 5, min: 1, mean: 3, p50: 3, p95: 5, p99: 5, max: 5 });
    expect(summarize([])).toBeUndefined();
  });
});

describe('benchmark time series', () => {
  it('buckets stored documents per second with their latency percentiles', () => {
    const start = 10_000;
    const series = bucketSeries([
      { at: start + 100, chunks: 4, latencyMs: 100 },
      { at: start + 900, chunks: 4, latencyMs: 300 },
      { at: start + 1_500, chunks: 2, latencyMs: 200 },
      { at: start - 1, chunks: 99, latencyMs: 1 }, // before the window: ignored
    ], start, start + 2_000);
    expect(series).toHaveLength(2);
    expect(series[0]).toMatchObject({ t: 0, docsPerSec: 2, chunksPerSec: 8, p50Ms: 100, p95Ms: 300 });
    expect(series[1]).toMatchObject({ t: 1, docsPerSec: 1, chunksPerSec: 2, p50Ms: 200, p95Ms: 200 });
  });

  it('scales the last, partial bucket to its real length', () => {
    const series = bucketSeries([{ at: 1_200, chunks: 5, latencyMs: 1 }], 0, 1_500);
    expect(series[1]!.chunksPerSec).toBeCloseTo(10); // 5 chunks in 0.5 s
    expect(series[0]!.p50Ms).toBeUndefined();
  });

  it('turns a sampled counter into per-bucket rates', () => {
    const rates = counterRates([{ at: 0, value: 0 }, { at: 1_000, value: 100 }, { at: 2_000, value: 300 }], 0, 2_000);
    expect(rates).toEqual([100, 200]);
    expect(counterRates([], 0, 1_000)).toEqual([]);
  });

  it('finds the best sustained window', () => {
    expect(peakWindow([1, 5, 3, 9, 1], 1)).toBe(9);
    expect(peakWindow([1, 5, 3, 9, 1], 2)).toBe(6);
    expect(peakWindow([], 2)).toBe(0);
    expect(peakWindow([4], 3)).toBe(4);
  });
});
