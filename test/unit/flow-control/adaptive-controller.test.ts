import { describe, expect, it } from 'vitest';
import { AdaptiveController, createAdaptiveController, type FlowDecision } from '../../../src/flow-control/adaptive-controller.ts';

const LIMIT = 1_000;
/** An observation whose downstream fill is `fill`. */
const at = (fill: number, extra: object = {}) => ({ downstreamLag: fill * LIMIT, downstreamLagLimit: LIMIT, ...extra });

/** Ticks once per sample interval (fake clock), one fill per tick. */
function run(controller: AdaptiveController, fills: number[], intervalMs = 5_000, startMs = 0): FlowDecision[] {
  return fills.map((fill, i) => controller.tick(at(fill), startMs + i * intervalMs));
}

describe('adaptive controller', () => {
  it('starts at the base rate with the design defaults', () => {
    const controller = createAdaptiveController({ baseRate: 100 });
    expect(controller.state).toMatchObject({ rate: 100, paused: false, lowStreak: 0, lastSampleAtMs: undefined });
  });

  describe('congestion', () => {
    it('halves the rate at once when downstream fill is over highWater', () => {
      const decision = new AdaptiveController({ baseRate: 100 }).tick(at(0.9), 0);
      expect(decision).toMatchObject({ action: 'decrease', rate: 50, fill: 0.9, pauseAll: false });
      expect(decision.reason).toMatch(/fill 90% above highWater 80%/);
    });

    it('keeps halving on every sample down to base/3, then holds there', () => {
      const decisions = run(new AdaptiveController({ baseRate: 100 }), [0.9, 0.9, 0.9, 0.9]);
      expect(decisions.map((d) => d.action)).toEqual(['decrease', 'decrease', 'hold', 'hold']);
      expect(decisions[0]!.rate).toBe(50);
      expect(decisions[1]!.rate).toBeCloseTo(100 / 3);
      expect(decisions[3]!.rate).toBeCloseTo(100 / 3);
      expect(decisions[3]!.reason).toMatch(/already at its minimum/);
    });

    it('decreases on dependency errors even with spare downstream capacity', () => {
      const controller = new AdaptiveController({ baseRate: 100 });
      expect(controller.tick(at(0.1, { dependencyErrors: 3 }), 0)).toMatchObject({ action: 'decrease', rate: 50, reason: '3 dependency errors' });
    });

    it('decreases when dependency latency is over latencyTargetMs, and ignores latency without a target', () => {
      expect(new AdaptiveController({ baseRate: 100, latencyTargetMs: 200 }).tick(at(0.5, { dependencyLatencyMs: 250 }), 0).action).toBe('decrease');
      expect(new AdaptiveController({ baseRate: 100 }).tick(at(0.5, { dependencyLatencyMs: 250_000 }), 0).action).toBe('hold');
    });

    it('takes the fuller of downstream lag and in-flight', () => {
      const decision = new AdaptiveController({ baseRate: 100 }).tick(at(0.1, { inFlight: 950, inFlightLimit: 1_000 }), 0);
      expect(decision).toMatchObject({ action: 'decrease', fill: 0.95 });
    });
  });

  describe('recovery', () => {
    it('raises the rate by 1.2 after two consecutive samples under lowWater, then every sample, up to base×3', () => {
      const decisions = run(new AdaptiveController({ baseRate: 100 }), Array(10).fill(0.1));
      expect(decisions.map((d) => d.action)).toEqual(['hold', 'increase', 'increase', 'increase', 'increase', 'increase', 'increase', 'increase', 'hold', 'hold']);
      expect(decisions[1]!.rate).toBeCloseTo(120);
      expect(decisions[2]!.rate).toBeCloseTo(144);
      expect(decisions[7]!.rate).toBe(300); // 100 × 1.2^7 = 358 → clamped
      expect(decisions[9]!).toMatchObject({ rate: 300, reason: expect.stringMatching(/already at its maximum/) });
    });

    it('recovers from the minimum after congestion clears', () => {
      const controller = new AdaptiveController({ baseRate: 90 });
      run(controller, [0.95, 0.95, 0.95]);
      expect(controller.state.rate).toBeCloseTo(30);
      const decisions = run(controller, [0.05, 0.05, 0.05], 5_000, 15_000);
      expect(decisions.map((d) => d.action)).toEqual(['hold', 'increase', 'increase']);
      expect(controller.state.rate).toBeCloseTo(43.2);
    });

    it('does not creep up while the stage is idle (input lag 0)', () => {
      const controller = new AdaptiveController({ baseRate: 100 });
      for (let i = 0; i < 5; i++) expect(controller.tick(at(0, { inputLag: 0 }), i * 5_000)).toMatchObject({ action: 'hold', rate: 100, reason: expect.stringMatching(/no input lag/) });
      expect(controller.tick(at(0, { inputLag: 40 }), 25_000)).toMatchObject({ action: 'increase', rate: 120 });
    });
  });

  describe('stability', () => {
    it('holds the rate on a steady load inside the band', () => {
      const decisions = run(new AdaptiveController({ baseRate: 100 }), Array(50).fill(0.5));
      expect(new Set(decisions.map((d) => d.action))).toEqual(new Set(['hold']));
      expect(decisions.at(-1)!.rate).toBe(100);
    });

    it('never moves on a fill alternating 0.29/0.31 around lowWater', () => {
      const fills = Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.31 : 0.29));
      const decisions = run(new AdaptiveController({ baseRate: 100 }), fills);
      expect(decisions.every((d) => d.action === 'hold' && d.rate === 100)).toBe(true);
    });

    it('a fill hovering around highWater only ever decreases (no increase/decrease flip)', () => {
      const fills = Array.from({ length: 20 }, (_, i) => (i % 2 ? 0.79 : 0.81));
      const actions = run(new AdaptiveController({ baseRate: 100 }), fills).map((d) => d.action);
      expect(actions).not.toContain('increase');
    });

    it('ignores ticks sooner than sampleIntervalMs after the last sample', () => {
      const controller = new AdaptiveController({ baseRate: 100 });
      expect(controller.tick(at(0.9), 10_000).action).toBe('decrease');
      const early = controller.tick(at(0.9), 14_999);
      expect(early).toMatchObject({ action: 'hold', rate: 50, fill: 0.9, reason: 'sample interval not elapsed' });
      expect(controller.state.lastSampleAtMs).toBe(10_000);
      const next = controller.tick(at(0.9), 15_000);
      expect(next.action).toBe('decrease');
      expect(next.rate).toBeCloseTo(100 / 3);
    });

    it('honours a custom sample interval and a clock that goes backwards', () => {
      const controller = new AdaptiveController({ baseRate: 100, sampleIntervalMs: 1_000 });
      controller.tick(at(0.9), 5_000);
      expect(controller.tick(at(0.9), 4_000).reason).toBe('sample interval not elapsed');
      expect(controller.tick(at(0.9), 6_000).action).toBe('decrease');
    });
  });

  describe('pauseAll', () => {
    it('turns on at fill ≥ 1 and off only once fill drops under highWater', () => {
      const decisions = run(new AdaptiveController({ baseRate: 100 }), [0.5, 1, 1.4, 0.95, 0.85, 0.8, 0.79, 0.95, 1.0]);
      expect(decisions.map((d) => d.pauseAll)).toEqual([false, true, true, true, true, true, false, false, true]);
    });

    it('stays as it was on an early tick', () => {
      const controller = new AdaptiveController({ baseRate: 100 });
      controller.tick(at(1.2), 0);
      expect(controller.tick(at(0), 1).pauseAll).toBe(true);
    });

    it('still acts with an unlimited base rate, which itself never changes', () => {
      const decisions = run(new AdaptiveController({ baseRate: Number.POSITIVE_INFINITY }), [1.1, 0.1, 0.1, 0.1]);
      expect(decisions.map((d) => [d.action, d.rate, d.pauseAll])).toEqual([
        ['hold', Number.POSITIVE_INFINITY, true],
        ['hold', Number.POSITIVE_INFINITY, false],
        ['hold', Number.POSITIVE_INFINITY, false],
        ['hold', Number.POSITIVE_INFINITY, false],
      ]);
      expect(decisions[0]!.reason).toMatch(/rate unlimited/);
    });
  });

  it('applies custom factors, bounds and streak length', () => {
    const controller = new AdaptiveController({ baseRate: 100, initialRate: 1_000, decreaseFactor: 0.9, increaseFactor: 1.5, minFactor: 0.5, maxFactor: 2, increaseAfter: 1 });
    expect(controller.state.rate).toBe(200); // initialRate clamped to base × maxFactor
    expect(controller.tick(at(0.9), 0).rate).toBeCloseTo(180);
    expect(controller.tick(at(0.1), 5_000)).toMatchObject({ action: 'increase', rate: 200 });
  });

  it('rejects invalid options with a RangeError naming the option and value', () => {
    const bad: Array<[object, RegExp]> = [
      [{ baseRate: 0 }, /baseRate=0/],
      [{ baseRate: Number.NaN }, /baseRate=NaN/],
      [{ baseRate: 1, initialRate: -1 }, /initialRate=-1/],
      [{ baseRate: 1, sampleIntervalMs: -5 }, /sampleIntervalMs=-5/],
      [{ baseRate: 1, highWater: 1.5 }, /highWater=1.5/],
      [{ baseRate: 1, lowWater: 0.9 }, /lowWater=0.9 must be in \[0, highWater=0.8\)/],
      [{ baseRate: 1, decreaseFactor: 1 }, /decreaseFactor=1/],
      [{ baseRate: 1, increaseFactor: 1 }, /increaseFactor=1/],
      [{ baseRate: 1, minFactor: 0 }, /minFactor=0/],
      [{ baseRate: 1, maxFactor: 0.5 }, /maxFactor=0.5/],
      [{ baseRate: 1, increaseAfter: 1.5 }, /increaseAfter=1.5/],
      [{ baseRate: 1, latencyTargetMs: 0 }, /latencyTargetMs=0/],
    ];
    for (const [options, message] of bad) expect(() => new AdaptiveController(options as never)).toThrow(message);
    expect(() => new AdaptiveController({ baseRate: 1 })).not.toThrow();
  });

  it('rejects an invalid observation or time, naming the field', () => {
    const controller = new AdaptiveController({ baseRate: 100 });
    expect(() => controller.tick({ downstreamLag: 1, downstreamLagLimit: 0 }, 0)).toThrow(/downstreamLagLimit=0/);
    expect(() => controller.tick({ downstreamLag: -1, downstreamLagLimit: 10 }, 0)).toThrow(/downstreamLag=-1/);
    expect(() => controller.tick({ downstreamLag: 1, downstreamLagLimit: 10, inFlight: 3 }, 0)).toThrow(/given together with inFlight/);
    expect(() => controller.tick(at(0.5), Number.NaN)).toThrow(/nowMs=NaN/);
    expect(controller.state.lastSampleAtMs).toBeUndefined();
  });
});
