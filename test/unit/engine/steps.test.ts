import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it, vi } from 'vitest';
import { batchStep, orderedParallelStep } from '../../../src/engine/steps.ts';

const collect = (into: unknown[]): Writable => new Writable({ objectMode: true, write(chunk, _e, cb) { into.push(chunk); cb(); } });

describe('stream steps', () => {
  it('batches by size and flushes the remainder at the end', async () => {
    const out: number[][] = [];
    await pipeline(Readable.from([1, 2, 3, 4, 5, 6, 7]), batchStep<number>(3, 1000), collect(out));
    expect(out).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('flushes a partial batch after the linger time', async () => {
    vi.useFakeTimers();
    try {
      const out: number[][] = [];
      const step = batchStep<number>(10, 50);
      step.on('data', (b: number[]) => out.push(b));
      step.write(1);
      step.write(2);
      await vi.advanceTimersByTimeAsync(49);
      expect(out).toEqual([]);
      await vi.advanceTimersByTimeAsync(2);
      expect(out).toEqual([[1, 2]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs calls concurrently but emits results in input order', async () => {
    let running = 0;
    let peak = 0;
    const out: number[] = [];
    await pipeline(
      Readable.from([50, 10, 30, 5, 20, 1]),
      orderedParallelStep(async (ms: number) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, ms));
        running--;
        return ms;
      }, 3),
      collect(out),
    );
    expect(out).toEqual([50, 10, 30, 5, 20, 1]);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  it('fails the pipeline when a call rejects', async () => {
    await expect(pipeline(Readable.from([1, 2, 3]), orderedParallelStep(async (n: number) => { if (n === 2) throw new Error('boom'); return n; }, 2), collect([]))).rejects.toThrow('boom');
  });
});
