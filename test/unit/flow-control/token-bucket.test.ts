import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/flow-control/token-bucket.ts';

const settled = () => new Promise((resolve) => setImmediate(resolve));

/** A fake clock whose sleep advances time at once and records each wait. */
function fakeTime(start = 0) {
  const clock = { t: start, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
}

/** A sleep that never ends by itself: it rejects when its signal aborts. */
const sleepUntilAborted = (calls: number[]) => (ms: number, signal: AbortSignal) =>
  new Promise<void>((_, reject) => {
    calls.push(ms);
    signal.addEventListener('abort', () => reject(new Error('sleep stopped')), { once: true });
  });

describe('token bucket', () => {
  it('starts full and allows a burst, then refuses without taking anything', () => {
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, nowMs: 0 });
    for (let i = 0; i < 5; i++) expect(bucket.tryTake(1, 0)).toBe(true);
    expect(bucket.tryTake(1, 0)).toBe(false);
    expect(bucket.available(0)).toBe(0);
  });

  it('refills lazily from elapsed time, never beyond burst', () => {
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, nowMs: 1_000, initialTokens: 0 });
    expect(bucket.available(1_050)).toBeCloseTo(0.5);
    expect(bucket.tryTake(1, 1_050)).toBe(false);
    expect(bucket.tryTake(1, 1_100)).toBe(true);
    expect(bucket.available(1_100)).toBeCloseTo(0);
    expect(bucket.available(60_000)).toBe(5);
  });

  it('takes several tokens at once only when all are there', () => {
    const bucket = new TokenBucket({ ratePerSec: 100, burst: 10, nowMs: 0, initialTokens: 3 });
    expect(bucket.tryTake(4, 0)).toBe(false);
    expect(bucket.available(0)).toBe(3);
    expect(bucket.tryTake(3, 0)).toBe(true);
    expect(bucket.tryTake(0, 0)).toBe(true);
  });

  it('counts a clock going backwards as no time', () => {
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, nowMs: 1_000, initialTokens: 0 });
    expect(bucket.available(500)).toBe(0);
    expect(bucket.available(1_100)).toBeCloseTo(1);
  });

  it('msUntil is the whole ms after which tryTake succeeds, and not a ms earlier', () => {
    for (const [rate, n] of [[10, 1], [3, 1], [7, 5], [1_000_000, 100], [0.5, 2]] as const) {
      const bucket = new TokenBucket({ ratePerSec: rate, burst: Math.max(n, 10), nowMs: 0, initialTokens: 0 });
      const wait = bucket.msUntil(n, 0);
      expect(wait).toBeGreaterThan(0);
      expect(Number.isInteger(wait)).toBe(true);
      expect(bucket.tryTake(n, wait - 1)).toBe(false);
      expect(bucket.tryTake(n, wait)).toBe(true);
    }
  });

  it('msUntil is 0 when available and Infinity when it can never be granted', () => {
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, nowMs: 0 });
    expect(bucket.msUntil(5, 0)).toBe(0);
    expect(bucket.msUntil(6, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(bucket.available(0)).toBe(5); // a query takes nothing
  });

  it('treats rate Infinity as unlimited and rate 0 as closed', () => {
    const unlimited = new TokenBucket({ ratePerSec: Number.POSITIVE_INFINITY, burst: 1, nowMs: 0 });
    for (let i = 0; i < 1_000; i++) expect(unlimited.tryTake(10, 0)).toBe(true);
    expect(unlimited.available(0)).toBe(Number.POSITIVE_INFINITY);
    expect(unlimited.msUntil(1e6, 0)).toBe(0);

    const closed = new TokenBucket({ ratePerSec: 0, burst: 5, nowMs: 0 });
    expect(closed.tryTake(1, 0)).toBe(false);
    expect(closed.available(10_000)).toBe(0);
    expect(closed.msUntil(1, 10_000)).toBe(Number.POSITIVE_INFINITY);
  });

  describe('setRate', () => {
    it('keeps the tokens accrued at the old rate and accrues at the new one from then on', () => {
      const bucket = new TokenBucket({ ratePerSec: 10, burst: 100, nowMs: 0, initialTokens: 0 });
      bucket.setRate(100, 1_000); // 10 accrued at 10/s
      expect(bucket.available(1_000)).toBeCloseTo(10);
      expect(bucket.available(1_100)).toBeCloseTo(20);
      expect(bucket.ratePerSec).toBe(100);
    });

    it('freezes tokens while closed and neither loses nor accrues them', () => {
      const bucket = new TokenBucket({ ratePerSec: 10, burst: 100, nowMs: 0, initialTokens: 0 });
      bucket.setRate(0, 500); // 5 accrued
      expect(bucket.tryTake(1, 10_000)).toBe(false);
      bucket.setRate(10, 20_000);
      expect(bucket.available(20_000)).toBeCloseTo(5);
    });

    it('leaving the unlimited rate starts full (clamped to burst)', () => {
      const bucket = new TokenBucket({ ratePerSec: Number.POSITIVE_INFINITY, burst: 8, nowMs: 0, initialTokens: 0 });
      bucket.setRate(1, 10);
      expect(bucket.available(10)).toBe(8);
    });

    it('rejects a negative or NaN rate', () => {
      const bucket = new TokenBucket({ ratePerSec: 1, burst: 1, nowMs: 0 });
      expect(() => bucket.setRate(-1, 0)).toThrow(RangeError);
      expect(() => bucket.setRate(Number.NaN, 0)).toThrow(/ratePerSec=NaN/);
    });
  });

  it('rejects invalid options and arguments with a RangeError naming them', () => {
    expect(() => new TokenBucket({ ratePerSec: -1, burst: 1, nowMs: 0 })).toThrow(/ratePerSec=-1/);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 0, nowMs: 0 })).toThrow(/burst=0/);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: Number.POSITIVE_INFINITY, nowMs: 0 })).toThrow(/burst=Infinity/);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 2, nowMs: 0, initialTokens: 3 })).toThrow(/initialTokens=3/);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 2, nowMs: Number.NaN })).toThrow(/nowMs=NaN/);
    const bucket = new TokenBucket({ ratePerSec: 1, burst: 2, nowMs: 0 });
    expect(() => bucket.tryTake(-1, 0)).toThrow(/n=-1/);
    expect(() => bucket.msUntil(Number.NaN, 0)).toThrow(/n=NaN/);
  });

  describe('acquire', () => {
    it('takes at once when tokens are there, without sleeping', async () => {
      const { clock, now, sleep } = fakeTime();
      const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, nowMs: 0 });
      await bucket.acquire(5, { now, sleep });
      expect(clock.sleeps).toEqual([]);
      expect(bucket.available(0)).toBe(0);
    });

    it('waits once for exactly msUntil with the injected sleep', async () => {
      const { clock, now, sleep } = fakeTime();
      const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, nowMs: 0, initialTokens: 0 });
      await bucket.acquire(3, { now, sleep });
      expect(clock.sleeps).toEqual([300]);
      expect(bucket.available(clock.t)).toBeCloseTo(0);
    });

    it('paces a loop at the rate', async () => {
      const { clock, now, sleep } = fakeTime();
      const bucket = new TokenBucket({ ratePerSec: 50, burst: 1, nowMs: 0 });
      for (let i = 0; i < 101; i++) await bucket.acquire(1, { now, sleep });
      expect(clock.t).toBe(2_000); // the first is the burst, then 100 at 50/s
    });

    it('rejects with the signal reason when aborted while waiting, taking nothing', async () => {
      const calls: number[] = [];
      const bucket = new TokenBucket({ ratePerSec: 1, burst: 5, nowMs: 0, initialTokens: 0 });
      const abort = new AbortController();
      const pending = bucket.acquire(2, { now: () => 0, sleep: sleepUntilAborted(calls), signal: abort.signal });
      await settled();
      expect(calls).toEqual([2_000]);
      abort.abort(new Error('shutdown'));
      await expect(pending).rejects.toThrow('shutdown');
      expect(bucket.available(2_000)).toBeCloseTo(2);
    });

    it('rejects at once when the signal is already aborted', async () => {
      const bucket = new TokenBucket({ ratePerSec: 1, burst: 5, nowMs: 0 });
      await expect(bucket.acquire(1, { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
      expect(bucket.available(0)).toBe(5);
    });

    it('waits on a closed bucket without sleeping until setRate opens it', async () => {
      const calls: number[] = [];
      let t = 0;
      const bucket = new TokenBucket({ ratePerSec: 0, burst: 5, nowMs: 0, initialTokens: 0 });
      let granted = false;
      const pending = bucket.acquire(1, { now: () => t, sleep: sleepUntilAborted(calls) }).then(() => (granted = true));
      await settled();
      expect(calls).toEqual([]);
      t = 1_000;
      bucket.setRate(4, t);
      await settled();
      expect(calls).toEqual([250]); // woken to recompute; the earlier sleep is stopped
      t = 1_250;
      bucket.setRate(4, t); // any setRate wakes the waiter, which now finds its token
      await pending;
      expect(granted).toBe(true);
    });

    it('a faster rate wakes a sleeping waiter early', async () => {
      const calls: number[] = [];
      const bucket = new TokenBucket({ ratePerSec: 1, burst: 5, nowMs: 0, initialTokens: 0 });
      const pending = bucket.acquire(1, { now: () => 0, sleep: sleepUntilAborted(calls) });
      await settled();
      bucket.setRate(Number.POSITIVE_INFINITY, 0);
      await pending;
      expect(calls).toEqual([1_000]);
    });

    it('refuses a request larger than burst while limited instead of waiting forever', async () => {
      const bucket = new TokenBucket({ ratePerSec: 1, burst: 5, nowMs: 0, initialTokens: 0 });
      await expect(bucket.acquire(6, { now: () => 0, sleep: async () => undefined })).rejects.toThrow(/n=6 exceeds burst=5/);
    });
  });
});
