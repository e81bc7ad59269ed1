/**
 * Measures consumer lag with the admin API (DESIGN.md §5): end offsets minus the group's
 * committed offsets, per partition. A paused consumer's own batch lag goes stale, so this is
 * the only honest measure. Samples this stage's input lag and the next stage's lag on this
 * stage's output topic (the downstream fill the adaptive controller reacts to).
 * Owns no timer: the runner calls `sample()` on its interval.
 */
import type { Admin } from 'kafkajs';
import { lagPerPartition, totalLag } from '../flow-control/lag.ts';
import { groupPositions } from './admin.ts';

export interface LagTarget {
  groupId: string;
  topic: string;
}

export interface LagSample {
  /** Lag per input topic and partition. */
  input: Map<string, Map<number, number>>;
  /** Total lag of the downstream group on the output topic; undefined without a downstream stage. */
  downstream?: number;
  atMs: number;
}

export async function measureLag(admin: Admin, { groupId, topic }: LagTarget): Promise<Map<number, number>> {
  const positions = await groupPositions(admin, groupId, topic);
  return lagPerPartition(
    positions.map((p) => ({ partition: p.partition, high: p.high.toString(), low: p.low.toString() })),
    positions.flatMap((p) => (p.committed === undefined ? [] : [{ partition: p.partition, offset: p.committed.toString() }])),
  );
}

export class LagMonitor {
  private last?: LagSample;

  constructor(
    private readonly admin: Admin,
    private readonly inputs: LagTarget[],
    private readonly downstream?: LagTarget,
  ) {}

  get latest(): LagSample | undefined {
    return this.last;
  }

  /** Measures now. Rejects when the broker cannot answer (the caller keeps the previous sample). */
  async sample(nowMs: number): Promise<LagSample> {
    const input = new Map<string, Map<number, number>>();
    const results = await Promise.all(this.inputs.map((target) => measureLag(this.admin, target)));
    this.inputs.forEach((target, i) => input.set(target.topic, results[i]!));
    const downstream = this.downstream ? totalLag(await measureLag(this.admin, this.downstream)) : undefined;
    this.last = { input, atMs: nowMs, ...(downstream !== undefined ? { downstream } : {}) };
    return this.last;
  }
}
