import { describe, expect, it } from 'vitest';
import { bottleneckStage, replicaRows, processCores } from '../../../bench/lib/replicas.ts';
import { evaluateTargets } from '../../../bench/lib/targets.ts';
import type { ProcessFigures, ScenarioResult, StageThroughput } from '../../../bench/lib/types.ts';

function scenario(over: Partial<ScenarioResult>): ScenarioResult {
  return {
    id: 'x', title: 'x', mode: 'kafka', implementation: 'era-ingest', embedder: 'hash', kind: 'replicas',
    docs: 1000, chunks: 4000, warmupDocs: 100, storedDocs: 1000, storedChunks: 4000, seconds: 4, docsPerSec: 250, chunksPerSec: 1000,
    successRate: 1, dlq: 0, processes: [], stages: [], series: [], settings: {}, notes: [], ...over,
  };
}

const stage = (name: string, processingSeconds: number | undefined, maxInputLag = 0): StageThroughput =>
  ({ name, records: 4000, perSecond: 1000, peakPerSecond: 1200, maxInputLag, ...(processingSeconds !== undefined ? { processingSeconds } : {}) });
const proc = (name: string, cpuShare: number): ProcessFigures =>
  ({ name, pid: 1, peakRssMb: 100, maxSampledRssMb: 90, cpuSeconds: cpuShare * 4, cpuShare, cpuSecondsTotal: 10 });

describe('bench replicas scenario', () => {
  it('finds the bottleneck: the stage with the most seconds inside batch processing, ties by input lag', () => {
    expect(bottleneckStage(scenario({ stages: [stage('chunk', 0.4), stage('embed', 3.1), stage('minister', 0.6), stage('store', 2.2)] }))).toBe('embed');
    expect(bottleneckStage(scenario({ stages: [stage('embed', 2, 100), stage('store', 2, 900)] }))).toBe('store');
  });

  it('finds none without processing figures (naive baseline) or when the run failed', () => {
    expect(bottleneckStage(scenario({ stages: [stage('chunk', undefined), stage('store', undefined)] }))).toBeUndefined();
    expect(bottleneckStage(scenario({ stages: [stage('store', 5)], error: 'broker down' }))).toBeUndefined();
  });

  it('lists the cores each process and service used, busiest first', () => {
    const services = [{ name: 'postgres (8 backends of this run\'s database)', cpuSeconds: 2.6, cpuShare: 0.64 }, { name: 'kafka broker (whole process)', cpuSeconds: 0.6, cpuShare: 0.14 }];
    expect(processCores(scenario({ processes: [proc('chunk', 0.1), proc('store', 0.95), proc('store-2', 0.5)], services }))).toBe('store 0.95, postgres 0.64, store-2 0.50, kafka broker 0.14, chunk 0.10');
  });

  it('reports one INFO row per replica count with its speed-up over one replica and the CPU', () => {
    const runs = [
      scenario({ id: 'r1', scaled: { stage: 'store', replicas: 1 }, chunksPerSec: 800, machineCpuBusy: 0.97, processes: [proc('store', 0.9)] }),
      scenario({ id: 'r2', scaled: { stage: 'store', replicas: 2 }, chunksPerSec: 880, machineCpuBusy: 0.99, processes: [proc('store', 0.6), proc('store-2', 0.55)] }),
      scenario({ id: 'r3', scaled: { stage: 'store', replicas: 3 }, chunksPerSec: 760, machineCpuBusy: 1 }),
    ];
    const rows = replicaRows(runs);
    expect(rows.map((r) => [r.id, r.status, r.comparator, r.measured, r.source])).toEqual([
      ['replicas-store-1', 'INFO', 'info', 800, 'r1'],
      ['replicas-store-2', 'INFO', 'info', 880, 'r2'],
      ['replicas-store-3', 'INFO', 'info', 760, 'r3'],
    ]);
    expect(rows[0]!.caveat).toBe('machine CPU 97 % busy; cores: store 0.90');
    expect(rows[1]!.caveat).toBe('1.10× the 1-replica run; machine CPU 99 % busy; cores: store 0.60, store-2 0.55');
    expect(rows[2]!.caveat).toMatch(/^0\.95× the 1-replica run/);
    expect(rows[1]!.description).toBe('Kafka mode, 2 replicas of the bottleneck stage (store): end-to-end chunks/s');
  });

  it('says a failed run was not measured, and adds the rows to the targets only when the scenario ran', () => {
    const [row] = replicaRows([scenario({ id: 'r2', scaled: { stage: 'embed', replicas: 2 }, error: 'stalled', storedDocs: 0 })]);
    expect(row).toMatchObject({ id: 'replicas-embed-2', status: 'NOT MEASURED', source: 'r2: stalled' });
    expect(row!.measured).toBeUndefined();
    const double = { latencyMs: 20, itemLatencyMs: 2, concurrency: 2, batchSize: 16 };
    expect(evaluateTargets({ scenarios: [], double }).some((r) => r.id.startsWith('replicas-'))).toBe(false);
    const ids = evaluateTargets({ scenarios: [scenario({ scaled: { stage: 'embed', replicas: 1 } }), scenario({ kind: 'scaling' })], double }).map((r) => r.id);
    expect(ids.filter((id) => id.startsWith('replicas-'))).toEqual(['replicas-embed-1']);
  });
});
