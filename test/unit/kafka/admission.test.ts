import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OffsetTracker } from '../../../src/engine/offset-tracker.ts';
import { FlowGate } from '../../../src/flow-control/flow-gate.ts';
import { Admission } from '../../../src/kafka/admission.ts';

describe('admission of records into a stage', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('keeps to MAX_IN_FLIGHT and MAX_IN_FLIGHT_BYTES, yet takes an oversized record when nothing is in flight', () => {
    const tracker = new OffsetTracker();
    const admission = new Admission({ tracker, maxInFlight: 2, maxInFlightBytes: 100, resume: () => undefined });
    expect(admission.admit('t', 0, 500)).toBe(true); // alone: its partition would stall otherwise
    tracker.track('t', 0, '0', 60);
    expect(admission.admit('t', 0, 50)).toBe(false); // 110 bytes
    expect(admission.admit('t', 0, 40)).toBe(true);
    expect(admission.canResume('t')).toBe(true);
    tracker.track('t', 0, '1', 40);
    expect(admission.admit('t', 0, 1)).toBe(false); // 2 records
    expect(admission.canResume('t')).toBe(false);
  });

  it('refuses at MAX_IN_FLIGHT records however small, before it asks the gate (no token spent on a refusal)', () => {
    const tracker = new OffsetTracker();
    const gate = new FlowGate({ ratePerSec: 1, burst: 1, nowMs: Date.now() });
    const admission = new Admission({ tracker, maxInFlight: 2, maxInFlightBytes: 1_000_000, gate, resume: () => undefined });
    tracker.track('t', 0, '0', 1);
    tracker.track('t', 0, '1', 1);
    expect(admission.admit('t', 0, 1)).toBe(false);
    expect(gate.tokens(Date.now())).toBe(1);
    expect(vi.getTimerCount()).toBe(0); // the limits refused: nothing to wait for in the bucket
  });

  it('asks the flow gate, and resumes once when the token bucket refills however often it refused', () => {
    const gate = new FlowGate({ ratePerSec: 10, burst: 1, nowMs: Date.now() });
    const resume = vi.fn();
    const admission = new Admission({ tracker: new OffsetTracker(), maxInFlight: 10, maxInFlightBytes: 1_000, gate, resume });
    expect(admission.admit('t', 0, 1)).toBe(true);
    expect(admission.admit('t', 0, 1)).toBe(false);
    expect(admission.admit('t', 1, 1)).toBe(false);
    expect(admission.canResume('t')).toBe(false);
    vi.advanceTimersByTime(99);
    expect(resume).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(resume).toHaveBeenCalledTimes(1);
    expect(admission.canResume('t')).toBe(true);
    expect(admission.admit('t', 0, 1)).toBe(true);
    // Refused again after the refill: a new timer, a second resume.
    expect(admission.admit('t', 0, 1)).toBe(false);
    vi.advanceTimersByTime(100);
    expect(resume).toHaveBeenCalledTimes(2);
  });

  it('sets no timer while the controller holds everything paused (the next flow sample resumes)', () => {
    // A gate paused by the adaptive controller: it refuses and has no time at which it opens.
    const paused = { admit: () => false, canResume: () => false, msUntilOpen: () => Number.POSITIVE_INFINITY } as unknown as FlowGate;
    const resume = vi.fn();
    const admission = new Admission({ tracker: new OffsetTracker(), maxInFlight: 10, maxInFlightBytes: 1_000, gate: paused, resume });
    expect(admission.admit('t', 0, 1)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(resume).not.toHaveBeenCalled();
  });

  it('cancels the pending resume when closed', () => {
    const gate = new FlowGate({ ratePerSec: 1, burst: 1, nowMs: Date.now() });
    const resume = vi.fn();
    const admission = new Admission({ tracker: new OffsetTracker(), maxInFlight: 10, maxInFlightBytes: 1_000, gate, resume });
    admission.admit('t', 0, 1);
    expect(admission.admit('t', 0, 1)).toBe(false);
    admission.close();
    vi.advanceTimersByTime(5_000);
    expect(resume).not.toHaveBeenCalled();
  });
});
