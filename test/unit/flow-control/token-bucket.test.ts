import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/flow-control/token-bucket.ts';

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

});
