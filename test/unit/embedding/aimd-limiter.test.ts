// Tests of src/flow-control/aimd-limiter.ts (kept beside the embedding tests, its first user).
import { describe, expect, it } from 'vitest';
import { AimdLimiter } from '../../../src/flow-control/aimd-limiter.ts';

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('AIMD limiter', () => {
  it('starts at initial (default min), clamped to [min, max]', () => {
    expect(new AimdLimiter({ max: 8 }).limit).toBe(1);
    expect(new AimdLimiter({ min: 2, max: 8, initial: 4 }).limit).toBe(4);
    expect(new AimdLimiter({ min: 2, max: 8, initial: 50 }).limit).toBe(8);
    expect(new AimdLimiter({ min: 2, max: 8, initial: 0 }).limit).toBe(2);
  });

  it('grows by increaseBy per window of `limit` successes, up to max', () => {
    const limiter = new AimdLimiter({ max: 5, initial: 2 });
    limiter.onSuccess(10);
    expect(limiter.limit).toBe(2);
    limiter.onSuccess(10);
    expect(limiter.limit).toBe(3);
    for (let i = 0; i < 3; i++) limiter.onSuccess(10);
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 100; i++) limiter.onSuccess(10);
    expect(limiter.limit).toBe(5);
  });

  it('halves on overload, never below min', () => {
    const limiter = new AimdLimiter({ min: 2, max: 32, initial: 16, cooldownMs: 0 });
    expect(limiter.onOverload(1_000)).toBe(true);
    expect(limiter.limit).toBe(8);
    limiter.onOverload(2_000);
    limiter.onOverload(3_000);
    expect(limiter.limit).toBe(2);
    limiter.onOverload(4_000);
    expect(limiter.limit).toBe(2);
  });

  it('decreases once for a burst of failures within the cooldown', () => {
    const limiter = new AimdLimiter({ max: 32, initial: 16, cooldownMs: 500 });
    expect(limiter.onOverload(10_000)).toBe(true);
    expect(limiter.onOverload(10_001)).toBe(false);
    expect(limiter.onOverload(10_499)).toBe(false);
    expect(limiter.limit).toBe(8);
    expect(limiter.onOverload(10_500)).toBe(true);
    expect(limiter.limit).toBe(4);
  });

  it('ignores failures of requests that started before the last decrease', () => {
    const limiter = new AimdLimiter({ max: 32, initial: 16, cooldownMs: 0 });
    limiter.onOverload(5_000, 4_000);
    expect(limiter.onOverload(9_000, 4_500)).toBe(false); // sent during the punished window
    expect(limiter.limit).toBe(8);
    expect(limiter.onOverload(9_000, 6_000)).toBe(true);
    expect(limiter.limit).toBe(4);
  });

  it('treats a success slower than the latency target as overload, and never grows on it', () => {
    const limiter = new AimdLimiter({ max: 16, initial: 8, latencyTargetMs: 200, cooldownMs: 0 });
    limiter.onSuccess(250); // no time given: hold
    expect(limiter.limit).toBe(8);
    limiter.onSuccess(250, 1_000);
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 4; i++) limiter.onSuccess(150, 1_100);
    expect(limiter.limit).toBe(5);
  });

  it('recovers additively after a decrease (sawtooth)', () => {
    const limiter = new AimdLimiter({ max: 10, initial: 10, cooldownMs: 1_000 });
    limiter.onOverload(0);
    expect(limiter.limit).toBe(5);
    let successes = 0;
    while (limiter.limit < 10) {
      limiter.onSuccess(5);
      successes++;
    }
    expect(successes).toBe(5 + 6 + 7 + 8 + 9);
  });

  it('rejects invalid options with a RangeError naming them', () => {
    expect(() => new AimdLimiter({ max: 0 })).toThrow(/max=0/);
    expect(() => new AimdLimiter({ min: 0, max: 4 })).toThrow(/min=0/);
    expect(() => new AimdLimiter({ max: 4, decreaseFactor: 1 })).toThrow(/decreaseFactor/);
    expect(() => new AimdLimiter({ max: 4, increaseBy: 0 })).toThrow(/increaseBy/);
    expect(() => new AimdLimiter({ max: 4, latencyTargetMs: -1 })).toThrow(/latencyTargetMs/);
  });

  describe('acquire gate', () => {
    it('grants up to the limit at once and queues the rest FIFO', async () => {
      const limiter = new AimdLimiter({ max: 4, initial: 2 });
      const order: number[] = [];
      const r1 = await limiter.acquire();
      const r2 = await limiter.acquire();
      const waiting = [3, 4, 5].map((n) => limiter.acquire().then((release) => (order.push(n), release)));
      await settled();
      expect(limiter.inFlight).toBe(2);
      expect(limiter.waiting).toBe(3);
      expect(order).toEqual([]);
      r1();
      r1(); // idempotent: releases one slot only
      await settled();
      expect(order).toEqual([3]);
      r2();
      await settled();
      expect(order).toEqual([3, 4]);
      expect(limiter.inFlight).toBe(2);
      (await waiting[0]!)();
      (await waiting[1]!)();
      (await waiting[2]!)();
      expect(order).toEqual([3, 4, 5]);
      expect(limiter.inFlight).toBe(0);
    });

    it('lets waiters in when the limit grows', async () => {
      const limiter = new AimdLimiter({ max: 4, initial: 1 });
      await limiter.acquire();
      let granted = false;
      void limiter.acquire().then(() => (granted = true));
      await settled();
      expect(granted).toBe(false);
      limiter.onSuccess(1); // 1 → 2
      await settled();
      expect(granted).toBe(true);
    });

    it('after a decrease grants nothing until in-flight work falls under the new limit', async () => {
      const limiter = new AimdLimiter({ max: 8, initial: 4 });
      const releases = await Promise.all([1, 2, 3, 4].map(() => limiter.acquire()));
      limiter.onOverload(0); // 4 → 2
      let granted = false;
      void limiter.acquire().then(() => (granted = true));
      releases[0]!();
      releases[1]!();
      await settled();
      expect(granted).toBe(false); // 2 in flight = limit
      releases[2]!();
      await settled();
      expect(granted).toBe(true);
    });

    it('removes an aborted waiter from the queue and rejects it with the reason', async () => {
      const limiter = new AimdLimiter({ max: 1 });
      const release = await limiter.acquire();
      const controller = new AbortController();
      const aborted = limiter.acquire(controller.signal);
      let second = false;
      void limiter.acquire().then(() => (second = true));
      controller.abort(new Error('shutting down'));
      await expect(aborted).rejects.toThrow('shutting down');
      expect(limiter.waiting).toBe(1);
      release();
      await settled();
      expect(second).toBe(true);
      await expect(limiter.acquire(controller.signal)).rejects.toThrow('shutting down');
    });
  });

  describe('queueing in a server that answers one request at a time', () => {
    /**
     * Rounds of `limit` requests of 16 items sent together: a serial server answers the k-th after
     * k × 160 ms, a parallel one all after 160 ms. Returns the limits seen in the last 20 rounds.
     */
    function settle(serial: boolean): number[] {
      const limiter = new AimdLimiter({ min: 1, max: 8, initial: 8, queueTolerance: 2.5, cooldownMs: 0 });
      const seen: number[] = [];
      let now = 0;
      for (let round = 0; round < 200; round++) {
        const started = now;
        const n = limiter.limit;
        for (let k = 1; k <= n; k++) limiter.onSuccess((serial ? k : 1) * 160, started + (serial ? k : 1) * 160, started, 16);
        now += (serial ? n : 1) * 160 + 1;
        if (round >= 180) seen.push(limiter.limit);
      }
      return seen;
    }

    it('keeps about two requests at a serial server: one served, one waiting', () => {
      const limits = settle(true);
      expect(Math.max(...limits)).toBeLessThanOrEqual(3);
      expect(Math.min(...limits)).toBeGreaterThanOrEqual(1);
      expect(limits.some((l) => l >= 2)).toBe(true);
    });

    it('grows to the maximum at a server that answers in parallel', () => {
      expect(settle(false).every((l) => l === 8)).toBe(true);
    });

    it('does not take a small request\'s overhead for queueing', () => {
      const limiter = new AimdLimiter({ min: 1, max: 4, initial: 2, queueTolerance: 2.5, cooldownMs: 0 });
      limiter.onSuccess(160, 160, 0, 16); // 10 ms per item
      limiter.onSuccess(60, 300, 240, 1); // 60 ms for one item: fixed overhead, not a queue
      expect(limiter.limit).toBe(3); // two successes: 2 + 1/2 + 1/2
      limiter.onSuccess(600, 1_000, 400, 16); // 37.5 ms per item in a full request: queued
      expect(limiter.limit).toBe(1);
    });
  });
});
