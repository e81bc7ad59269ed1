import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../../src/engine/offset-tracker.ts';

describe('offset tracker', () => {
  it('commits only the highest contiguous completed offset', () => {
    const t = new OffsetTracker();
    const a = t.track('t', 0, '10', 5);
    const b = t.track('t', 0, '11', 5);
    const c = t.track('t', 0, '12', 5);
    t.complete(b);
    t.complete(c);
    expect(t.committable()).toEqual([]); // 10 still in flight: a gap holds the commit back
    t.complete(a);
    expect(t.committable()).toEqual([{ topic: 't', partition: 0, offset: '13' }]);
    expect(t.inFlight).toBe(0);
    expect(t.inFlightBytes).toBe(0);
  });

  it('skips offsets that carry nothing after what it tracked, and from a start it was told of, never before either', () => {
    const t = new OffsetTracker();
    t.skip('t', 0, '3'); // nothing tracked: what comes before offset 3 is unknown
    expect(t.knows('t', 0)).toBe(false);
    expect(t.committable()).toEqual([]);
    t.startAt('t', 0, 3n); // the group reads from 3 (its commit)
    expect(t.knows('t', 0)).toBe(true);
    expect(t.committable()).toEqual([]); // 3 is committed already
    expect(t.isDuplicate('t', 0, '2')).toBe(true);
    t.skip('t', 0, '3');
    expect(t.committable()).toEqual([{ topic: 't', partition: 0, offset: '4' }]);
    t.startAt('t', 0, 9n); // known now: ignored
    t.markCommitted(t.committable());
    const next = t.track('t', 0, '4', 1);
    t.skip('t', 0, '6'); // a marker after 4, still in flight: held back by it
    expect(t.committable()).toEqual([]);
    t.complete(next);
    expect(t.committable()).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
    expect(t.inFlight).toBe(0);
  });

  it('keeps partitions independent and reports only advanced offsets', () => {
    const t = new OffsetTracker();
    const p0 = t.track('t', 0, '0', 1);
    const p1 = t.track('t', 1, '7', 1);
    t.complete(p1);
    expect(t.committable()).toEqual([{ topic: 't', partition: 1, offset: '8' }]);
    t.markCommitted(t.committable());
    expect(t.committable()).toEqual([]);
    t.complete(p0);
    expect(t.committable()).toEqual([{ topic: 't', partition: 0, offset: '1' }]);
  });

  it('treats completing twice as once', () => {
    const t = new OffsetTracker();
    const a = t.track('t', 0, '0', 3);
    t.track('t', 0, '1', 3);
    t.complete(a);
    t.complete(a);
    expect(t.inFlight).toBe(1);
    expect(t.inFlightBytes).toBe(3);
  });

  it('recognises redeliveries of offsets already tracked', () => {
    const t = new OffsetTracker();
    t.track('t', 0, '5', 1);
    expect(t.isDuplicate('t', 0, '4')).toBe(true);
    expect(t.isDuplicate('t', 0, '5')).toBe(true);
    expect(t.isDuplicate('t', 0, '6')).toBe(false);
    expect(() => t.track('t', 0, '5', 1)).toThrow(RangeError);
  });

  it('handles 64-bit offsets', () => {
    const t = new OffsetTracker();
    const big = t.track('t', 0, '9007199254740993', 1);
    t.complete(big);
    expect(t.committable()[0]!.offset).toBe('9007199254740994');
  });

  it('forgets revoked partitions: late completions change nothing', () => {
    const t = new OffsetTracker();
    const a = t.track('t', 0, '0', 2);
    t.track('t', 0, '1', 2);
    t.revoke([{ topic: 't', partition: 0 }]);
    expect(t.inFlight).toBe(0);
    t.complete(a);
    expect(t.committable()).toEqual([]);
    expect(t.inFlight).toBe(0);
    // re-assigned later: tracking starts afresh
    const again = t.track('t', 0, '0', 2);
    t.complete(again);
    expect(t.committable()).toEqual([{ topic: 't', partition: 0, offset: '1' }]);
  });

  it('stays compact over a long run', () => {
    const t = new OffsetTracker();
    for (let i = 0; i < 100_000; i++) t.complete(t.track('t', 0, String(i), 1));
    expect(t.committable()).toEqual([{ topic: 't', partition: 0, offset: '100000' }]);
    expect(t.inFlight).toBe(0);
  });

  it('names the input in flight the longest, across partitions, and forgets revoked ones', () => {
    const t = new OffsetTracker();
    const a0 = t.track('a', 0, '0', 1, 100);
    t.track('a', 0, '1', 1, 150);
    t.track('a', 1, '7', 1, 120);
    expect(t.oldestInFlight()).toEqual({ topic: 'a', partition: 0, offset: '0', at: 100 });
    t.complete(a0);
    expect(t.oldestInFlight()).toEqual({ topic: 'a', partition: 1, offset: '7', at: 120 });
    t.revoke([{ topic: 'a', partition: 1 }]);
    expect(t.oldestInFlight()).toEqual({ topic: 'a', partition: 0, offset: '1', at: 150 });
  });
});
