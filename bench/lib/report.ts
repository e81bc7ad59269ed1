/**
 * The printed report: scenario figures, per-process figures, and the targets with
 * PASS / FALL SHORT beside the measured values. Pure text formatting.
 */
import type { BenchReport, IndexCost, LatencySummary, ScenarioResult, TargetResult } from './types.ts';
import { describeModel } from './model.ts';

/** Fixed-width table; numbers right-aligned, text left-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmtNum(c) : c)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === '-' || r[i] === ''));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Number.isInteger(n)) return n.toLocaleString('en');
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

const ms = (l: LatencySummary | undefined, k: keyof LatencySummary): string | number => (l ? l[k] : '-');

export function scenarioTable(scenarios: readonly ScenarioResult[]): string {
  return table(
    ['scenario', 'docs', 'chunks', 'seconds', 'docs/s', 'chunks/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'stored', 'DLQ', 'machine CPU', 'other load'],
    scenarios.map((s) => [
      s.id, s.docs, s.chunks, s.seconds, s.docsPerSec, s.chunksPerSec,
      ms(s.latency, 'p50'), ms(s.latency, 'p95'), ms(s.latency, 'p99'), ms(s.latency, 'max'),
      `${(s.successRate * 100).toFixed(1)} %`, s.dlq, s.machineCpuBusy === undefined ? '-' : `${(s.machineCpuBusy * 100).toFixed(0)} %`,
      s.otherCpuCores === undefined ? '-' : `${s.otherCpuCores.toFixed(2)} cores`,
    ]),
  );
}

export function processTable(scenarios: readonly ScenarioResult[]): string {
  const rows: Array<Array<string | number>> = [];
  for (const s of scenarios) {
    for (const p of s.processes) {
      const stage = s.stages.find((x) => x.name === p.name) ?? (s.mode === 'embedded' ? s.stages[0] : undefined);
      rows.push([
        s.id, p.name, p.peakRssMb, p.heapTotalMb !== undefined ? `${fmtNum(p.heapUsedMb!)}/${fmtNum(p.heapTotalMb)}` : '-', p.cpuSeconds, `${(p.cpuShare * 100).toFixed(0)} %`,
        stage ? stage.perSecond : '-', stage ? stage.peakPerSecond : '-', stage && s.mode === 'kafka' ? stage.maxInputLag : '-',
        stage?.processingSeconds !== undefined ? stage.processingSeconds : '-',
      ]);
    }
    for (const v of s.services ?? []) rows.push([s.id, v.name, '-', '-', v.cpuSeconds, `${(v.cpuShare * 100).toFixed(0)} %`, '-', '-', '-', '-']);
  }
  return table(['scenario', 'process', 'peak RSS MB', 'heap MB', 'CPU s', 'CPU/wall', 'out/s', 'peak out/s', 'max lag', 'busy s'], rows);
}

export function targetTable(targets: readonly TargetResult[]): string {
  return table(
    ['target', 'goal', 'measured', 'result', 'from / caveat'],
    targets.map((t) => [
      t.description,
      t.comparator === 'info' ? '(info)' : `${t.comparator} ${fmtNum(t.threshold!)} ${t.unit}`,
      t.measured === undefined ? '-' : `${fmtNum(t.measured)} ${t.unit}`,
      t.status,
      [t.source, t.caveat].filter(Boolean).join('; '),
    ]),
  );
}

export function indexLine(cost: IndexCost | undefined): string {
  if (!cost) return '';
  return `HNSW index (store micro-benchmark, ${cost.chunks} chunks, batches of ${cost.batchSize}): ${fmtNum(cost.withIndexRowsPerSec)} rows/s with the index, ${fmtNum(cost.withoutIndexRowsPerSec)} rows/s without; the index is ${(cost.indexShare * 100).toFixed(0)} % of the store's write time.`;
}

/** The `model` scenario's ceiling: one row per concurrency level, the best, the notes; or why it is missing. */
export function modelLines(model: NonNullable<BenchReport['model']>): string[] {
  if ('skipped' in model) return [`Model: skipped: ${model.skipped}`];
  if ('failed' in model) return [`Model: FAILED: ${model.failed}`];
  const cores = (n: number | undefined): string | number => (n === undefined ? '-' : n);
  return [
    `Model ceiling: ${describeModel(model.server)}, straight at /api/embed, batches of ${model.batchSize} chunk texts (${model.meanChunkTokens.toFixed(0)} tokens on average)`,
    table(['concurrency', 'batches', 'seconds', 'chunks/s', 'ms/request', 'server cores', 'other load'],
      model.levels.map((l) => [l.concurrency, l.batches, l.seconds, l.chunksPerSec, l.meanRequestMs, cores(l.serverCores), cores(l.otherCpuCores)])),
    `ceiling: ${model.best.chunksPerSec.toFixed(1)} chunks/s at concurrency ${model.best.concurrency}`,
    ...model.notes.map((n) => `  ${n}`),
  ];
}

export function formatReport(report: BenchReport, files: { json: string; svg: string }): string {
  const m = report.machine;
  const parts = [
    `era-ingest benchmark — ${report.startedAt}`,
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}${m.kafka ? `; ${m.kafka}` : ''}${m.postgres ? `; ${m.postgres}` : ''}`,
    '',
    'Scenarios (latency: publish→stored, from era.published.at to the era.stored event; embedded: read→stored;',
    '           machine CPU: all CPUs busy; other load: CPU used by processes outside this run, in cores)',
    scenarioTable(report.scenarios),
    '',
    'Processes (peak RSS = VmHWM; heap = largest V8 heap used/total; CPU s = user+system during the measurement; out/s = records produced per second of the stage\'s active time; busy s = time inside the stage\'s batch processing)',
    processTable(report.scenarios),
  ];
  const index = indexLine(report.indexCost);
  if (index) parts.push('', index);
  const notes = report.scenarios.flatMap((s) => s.notes.map((n) => `  ${s.id}: ${n}`));
  if (notes.length) parts.push('', 'Notes', ...notes);
  parts.push('', 'Targets (benchmark targets, not timed tests)', targetTable(report.targets), '', `JSON: ${files.json}`, `chart: ${files.svg}`);
  return parts.join('\n');
}
