import { describe, expect, it } from 'vitest';
import { PriorityLanes } from '../../../src/flow-control/priority-lanes.ts';

/** Both lanes ask once per round, normal first; returns the admissions of each lane. */
function compete(lanes: PriorityLanes, rounds: number, priorityHasLag: boolean): { priority: number; normal: number } {
  const admitted = { priority: 0, normal: 0 };
  for (let i = 0; i < rounds; i++) {
    if (lanes.admit('normal', priorityHasLag)) admitted.normal++;
    if (lanes.admit('priority', priorityHasLag)) admitted.priority++;
  }
  return admitted;
}

describe('priority lanes', () => {
  it('always admits the priority lane', () => {
    const lanes = new PriorityLanes();
    for (let i = 0; i < 500; i++) expect(lanes.admit('priority', true)).toBe(true);
  });

  it('always admits the normal lane while the priority lane has no lag', () => {
    const lanes = new PriorityLanes();
    const admitted = compete(lanes, 1_000, false);
    expect(admitted).toEqual({ priority: 1_000, normal: 1_000 });
  });

  it('while priority has lag, gives normal about minNormalShare of admissions (starvation guard)', () => {
    const lanes = new PriorityLanes();
    const { priority, normal } = compete(lanes, 10_000, true);
    expect(priority).toBe(10_000);
    expect(normal / (normal + priority)).toBeGreaterThan(0.09);
    expect(normal / (normal + priority)).toBeLessThanOrEqual(0.1);
    expect(lanes.normalShare).toBeGreaterThanOrEqual(0.09);
    expect(lanes.normalShare).toBeLessThanOrEqual(0.1);
  });

  it('honours a custom share and window', () => {
    const lanes = new PriorityLanes({ minNormalShare: 0.25, window: 20 });
    const { priority, normal } = compete(lanes, 2_000, true);
    expect(normal / (normal + priority)).toBeCloseTo(0.25, 1);
  });

  it('gives normal nothing under priority lag when minNormalShare is 0', () => {
    const lanes = new PriorityLanes({ minNormalShare: 0 });
    expect(compete(lanes, 100, true).normal).toBe(0);
  });

  it('serves normal again at once when the priority lag is gone', () => {
    const lanes = new PriorityLanes();
    compete(lanes, 100, true);
    expect(lanes.admit('normal', true)).toBe(false);
    expect(lanes.admit('normal', false)).toBe(true);
  });

  it('wouldAdmit answers without recording', () => {
    const lanes = new PriorityLanes({ window: 10 });
    expect(lanes.wouldAdmit('normal', true)).toBe(true);
    expect(lanes.wouldAdmit('normal', true)).toBe(true);
    expect(lanes.normalShare).toBe(0);
    expect(lanes.admit('normal', true)).toBe(true);
    expect(lanes.wouldAdmit('normal', true)).toBe(false);
  });

  it('rejects invalid options with a RangeError naming them', () => {
    expect(() => new PriorityLanes({ minNormalShare: 1 })).toThrow(/minNormalShare=1/);
    expect(() => new PriorityLanes({ minNormalShare: -0.1 })).toThrow(/minNormalShare=-0.1/);
    expect(() => new PriorityLanes({ window: 0 })).toThrow(/window=0/);
    expect(() => new PriorityLanes({ window: 2.5 })).toThrow(/window=2.5/);
  });
});
