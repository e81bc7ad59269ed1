/**
 * Consumer-group lag from admin offsets (DESIGN.md §5: measured with the admin API — committed
 * vs end offsets — because a paused consumer's own batch lag goes stale). Pure: the Kafka port
 * reads a group's position (src/kafka/admin.ts `groupPositions`) and passes the offsets in as
 * decimal strings or numbers.
 *
 * Per partition: lag = high − max(committed, low), never below 0, where
 * - high is the log end offset (the offset the next record will get),
 * - committed is the group's next offset to read; -1 (no commit yet) counts as the start,
 * - low is the first retained offset (0 when not given): a commit below it, or no commit, means
 *   the group will start at `low`, so records deleted by retention are not counted.
 * Offsets are read as JS numbers: exact up to 2^53, far beyond any real partition.
 */

/** An offset as kafkajs returns it (string) or as a number. */
export type Offset = string | number;

export interface PartitionEndOffsets {
  partition: number;
  /** Log end offset. */
  high: Offset;
  /** First retained offset. @defaultValue 0 */
  low?: Offset;
}

export interface PartitionCommittedOffset {
  partition: number;
  /** Next offset the group reads; -1 = nothing committed. */
  offset: Offset;
}

function toOffset(value: Offset, what: string, partition: number, min: number): number {
  const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`partition ${partition} ${what}=${JSON.stringify(value)} must be an integer offset ≥ ${min}`);
  return n;
}

/**
 * Lag of each partition in `endOffsets`; partitions missing from `committed` count as never
 * committed, and committed partitions missing from `endOffsets` are ignored.
 * @throws RangeError naming the partition when an offset is not an integer (or is below -1).
 */
export function lagPerPartition(endOffsets: readonly PartitionEndOffsets[], committed: readonly PartitionCommittedOffset[]): Map<number, number> {
  const committedBy = new Map<number, number>();
  for (const { partition, offset } of committed) committedBy.set(partition, toOffset(offset, 'committed offset', partition, -1));
  const lag = new Map<number, number>();
  for (const { partition, high, low = 0 } of endOffsets) {
    const end = toOffset(high, 'high', partition, 0);
    const start = toOffset(low, 'low', partition, 0);
    const from = Math.max(committedBy.get(partition) ?? -1, start);
    lag.set(partition, Math.max(0, end - from));
  }
  return lag;
}

/** Sum of the lags. */
export function totalLag(lag: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const value of lag.values()) total += value;
  return total;
}
