/**
 * The `replicas` scenario's figures (Kafka mode): the same burst run with 1, 2 and 3 processes
 * of the bottleneck stage in its consumer group, as KEDA would scale it by lag. Pure: which stage
 * is the bottleneck (from the 1-replica run) and the INFO rows reported beside the targets — no
 * threshold: the figure is what scaling out buys on this machine (on 2 cores, the CPU bounds it:
 * each row names the cores every stage process used).
 */
import type { ScenarioResult, TargetResult } from './types.ts';

/** Replica counts of the bottleneck stage, in run order (the first run picks the stage). */
export const REPLICA_COUNTS = [1, 2, 3] as const;

/**
 * The bottleneck of a run: the stage that spent the most seconds inside batch processing
 * (`era_processing_seconds_sum`, waiting on its dependency included), ties broken by the larger
 * input lag. Undefined when the run has no such figures (the naive baseline, a failed run).
 */
export function bottleneckStage(run: ScenarioResult): string | undefined {
  const measured = run.stages.filter((s) => s.processingSeconds !== undefined);
  if (run.error !== undefined || measured.length === 0) return undefined;
  return [...measured].sort((a, b) => b.processingSeconds! - a.processingSeconds! || b.maxInputLag - a.maxInputLag)[0]!.name;
}

/**
 * Cores each process of the run used over its window, largest first, the services (PostgreSQL,
 * the broker, the harness) by their short name: `postgres 0.64, embed 0.20, store-2 0.15, …`.
 */
export function processCores(run: ScenarioResult): string {
  const all = [...run.processes, ...(run.services ?? []).map((s) => ({ ...s, name: s.name.split(' (')[0]! }))];
  return all.sort((a, b) => b.cpuShare - a.cpuShare).map((p) => `${p.name} ${p.cpuShare.toFixed(2)}`).join(', ');
}

/**
 * One INFO row per `replicas` run: end-to-end chunks/s with n replicas of its stage, its speed-up
 * over the 1-replica run, and where the CPU went (machine busy share, cores per process).
 */
export function replicaRows(scenarios: readonly ScenarioResult[]): TargetResult[] {
  const runs = scenarios.filter((s) => s.kind === 'replicas' && s.scaled !== undefined);
  const single = runs.find((s) => s.scaled!.replicas === 1 && s.error === undefined);
  return runs.map((s): TargetResult => {
    const { stage, replicas } = s.scaled!;
    const ok = s.error === undefined && s.storedDocs > 0;
    const caveats = [
      ok && single && s !== single ? `${(s.chunksPerSec / single.chunksPerSec).toFixed(2)}× the 1-replica run` : undefined,
      s.successRate < 1 ? `only ${(s.successRate * 100).toFixed(1)} % of the documents were stored` : undefined,
      s.machineCpuBusy !== undefined ? `machine CPU ${(s.machineCpuBusy * 100).toFixed(0)} % busy` : undefined,
      s.processes.length || s.services?.length ? `cores: ${processCores(s)}` : undefined,
    ].filter(Boolean);
    return {
      id: `replicas-${stage}-${replicas}`,
      description: `Kafka mode, ${replicas} replica${replicas > 1 ? 's' : ''} of the bottleneck stage (${stage}): end-to-end chunks/s`,
      unit: 'chunks/s',
      comparator: 'info',
      ...(ok ? { measured: s.chunksPerSec } : {}),
      status: ok ? 'INFO' : 'NOT MEASURED',
      source: ok ? s.id : `${s.id}: ${s.error ?? 'nothing stored'}`,
      ...(caveats.length ? { caveat: caveats.join('; ') } : {}),
    };
  });
}
