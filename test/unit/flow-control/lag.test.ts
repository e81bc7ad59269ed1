import { describe, expect, it } from 'vitest';
import { lagPerPartition, totalLag } from '../../../src/flow-control/lag.ts';

describe('consumer lag', () => {
  it('is end offset minus committed offset per partition (kafkajs string offsets)', () => {
    const lag = lagPerPartition(
      [{ partition: 0, high: '120', low: '0' }, { partition: 1, high: '50', low: '0' }],
      [{ partition: 0, offset: '100' }, { partition: 1, offset: '50' }],
    );
    expect(lag).toEqual(new Map([[0, 20], [1, 0]]));
    expect(totalLag(lag)).toBe(20);
  });

  it('counts a partition with no commit (-1, or absent) from the low watermark', () => {
    const lag = lagPerPartition(
      [{ partition: 0, high: 300, low: 100 }, { partition: 1, high: 40 }, { partition: 2, high: '7', low: '2' }],
      [{ partition: 0, offset: '-1' }, { partition: 1, offset: -1 }],
    );
    expect(lag).toEqual(new Map([[0, 200], [1, 40], [2, 5]]));
  });

  it('does not count records deleted by retention below a stale commit', () => {
    expect(lagPerPartition([{ partition: 0, high: 1_000, low: 900 }], [{ partition: 0, offset: 10 }]).get(0)).toBe(100);
  });

  it('never reports negative lag (end offsets read before a newer commit)', () => {
    expect(lagPerPartition([{ partition: 0, high: 10 }], [{ partition: 0, offset: 12 }]).get(0)).toBe(0);
  });

  it('ignores commits of partitions that have no end offsets', () => {
    expect(lagPerPartition([{ partition: 0, high: 5 }], [{ partition: 0, offset: 5 }, { partition: 9, offset: 1 }])).toEqual(new Map([[0, 0]]));
  });

  it('is 0 in total for no partitions', () => {
    expect(totalLag(lagPerPartition([], []))).toBe(0);
  });

  it('rejects offsets that are not integers, naming the partition and value', () => {
    expect(() => lagPerPartition([{ partition: 3, high: 'abc' }], [])).toThrow(/partition 3 high="abc"/);
    expect(() => lagPerPartition([{ partition: 0, high: 5 }], [{ partition: 0, offset: '-2' }])).toThrow(/committed offset="-2"/);
    expect(() => lagPerPartition([{ partition: 0, high: '' }], [])).toThrow(RangeError);
  });
});
