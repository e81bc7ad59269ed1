import { describe, expect, it } from 'vitest';
import { embeddingCeiling, evaluateTargets, statusOf, TARGETS } from '../../../bench/lib/targets.ts';
import type { ModelCeiling, ModelCeilingLevel, ScenarioResult } from '../../../bench/lib/types.ts';

function scenario(over: Partial<ScenarioResult>): ScenarioResult {
  return {
    id: 'x', title: 'x', mode: 'kafka', implementation: 'era-ingest', embedder: 'hash', kind: 'scaling',
    docs: 1000, chunks: 4000, warmupDocs: 100, storedDocs: 1000, storedChunks: 4000, seconds: 2, docsPerSec: 500, chunksPerSec: 2000,
    successRate: 1, dlq: 0, processes: [], stages: [], series: [], settings: {}, notes: [], ...over,
  };
}

const double = { latencyMs: 18, itemLatencyMs: 2, concurrency: 2, batchSize: 16 };
const byId = (rows: ReturnType<typeof evaluateTargets>) => new Map(rows.map((r) => [r.id, r]));

describe('benchmark targets', () => {
  it('compares against thresholds in the right direction', () => {
    expect(statusOf(2000, '>=', 2000)).toBe('PASS');
    expect(statusOf(1999, '>=', 2000)).toBe('FALL SHORT');
    expect(statusOf(500, '<=', 500)).toBe('PASS');
    expect(statusOf(501, '<=', 500)).toBe('FALL SHORT');
    expect(statusOf(undefined, '>=', 1)).toBe('NOT MEASURED');
    expect(statusOf(Number.NaN, '>=', 1)).toBe('NOT MEASURED');
    expect(statusOf(42, 'info')).toBe('INFO');
  });

  it('computes the embedding ceiling from the per-request and per-input latency, concurrency and batch size', () => {
    expect(embeddingCeiling(double)).toBe(640); // 2 × 16 inputs per (18 + 16 × 2) ms
    expect(embeddingCeiling({ ...double, itemLatencyMs: 0 })).toBeCloseTo(1777.8, 1);
    expect(embeddingCeiling({ ...double, latencyMs: 0, itemLatencyMs: 0 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('reports every target as not measured when nothing ran', () => {
    const rows = evaluateTargets({ scenarios: [], double });
    expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'NOT MEASURED'));
    expect(rows.map((r) => r.id)).toEqual(['kafka-throughput', 'stage-cpu', 'tracing-off', 'naive-ratio', 'embedded-throughput', 'ceiling-kafka', 'ceiling-embedded', 'model-kafka', 'model-embedded', 'latency-p95', 'backlog-rss', 'index-share']);
  });

  it('takes the largest scaling run and the naive ratio at the same document count', () => {
    const rows = byId(evaluateTargets({
      scenarios: [
        scenario({ id: 'k100', docs: 100, chunksPerSec: 5000 }),
        scenario({ id: 'k1000', docs: 1000, chunksPerSec: 1500, processes: [
          { name: 'chunk', pid: 1, peakRssMb: 100, maxSampledRssMb: 90, cpuSeconds: 0.4, cpuShare: 0.2, cpuSecondsTotal: 1 },
          { name: 'store', pid: 2, peakRssMb: 100, maxSampledRssMb: 90, cpuSeconds: 1.2, cpuShare: 0.6, cpuSecondsTotal: 2 },
          { name: 'postgres (3 backends of this run\'s database)', pid: 0, peakRssMb: 0, maxSampledRssMb: 0, cpuSeconds: 9, cpuShare: 1, cpuSecondsTotal: 9 },
        ] }),
        scenario({ id: 'naive1000', docs: 1000, implementation: 'naive', chunksPerSec: 100 }),
        scenario({ id: 'broken', docs: 100_000, chunksPerSec: 9_999, error: 'boom' }),
      ],
      double,
    }));
    expect(rows.get('kafka-throughput')).toMatchObject({ measured: 1500, status: 'FALL SHORT', source: 'k1000' });
    expect(rows.get('naive-ratio')).toMatchObject({ measured: 15, status: 'PASS', source: 'naive1000' });
    // (0.4 + 1.2) s of the stage processes over 4,000 stored chunks; PostgreSQL is not a stage.
    expect(rows.get('stage-cpu')).toMatchObject({ measured: 0.4, status: 'PASS', source: 'k1000', caveat: 'chunk 0.10, store 0.30' });
  });

  it('holds the span calls of tracing off against the stages\' CPU per chunk', () => {
    const kafka = scenario({ id: 'k', storedDocs: 1000, storedChunks: 4000, processes: [
      { name: 'embed', pid: 1, peakRssMb: 100, maxSampledRssMb: 90, cpuSeconds: 2, cpuShare: 0.5, cpuSecondsTotal: 2 },
    ] });
    // 0.5 ms of stage CPU per chunk; 3.5 inputs per chunk (3 stages, plus chunk and publish per 4-chunk document) × 1 µs.
    const off = byId(evaluateTargets({ scenarios: [kafka], double, tracingOff: { iterations: 10, perInputUs: 1, tracingOn: false } })).get('tracing-off');
    expect(off).toMatchObject({ status: 'PASS', source: 'k', caveat: '1.00 µs per input × 3.50 inputs per chunk vs 0.50 ms of stage CPU per chunk' });
    expect(off!.measured).toBeCloseTo(0.7, 5);
    expect(byId(evaluateTargets({ scenarios: [kafka], double, tracingOff: { iterations: 10, perInputUs: 2, tracingOn: true } })).get('tracing-off')).toMatchObject({ status: 'NOT MEASURED' });
    expect(byId(evaluateTargets({ scenarios: [], double, tracingOff: { iterations: 10, perInputUs: 2, tracingOn: false } })).get('tracing-off')).toMatchObject({ status: 'NOT MEASURED' });
  });

  it('evaluates the ceiling, latency and backlog targets with their caveats', () => {
    const rows = byId(evaluateTargets({
      scenarios: [
        scenario({ id: 'ceil', embedder: 'double', kind: 'ceiling', chunksPerSec: 600 }),
        scenario({ id: 'emb-ceil', mode: 'embedded', embedder: 'double', kind: 'ceiling', chunksPerSec: 400 }),
        scenario({ id: 'rate', kind: 'rate', latency: { count: 10, min: 1, mean: 2, p50: 100, p95: 450, p99: 600, max: 700 }, publishRate: { asked: 250, achieved: 249, seconds: 60 } }),
        scenario({ id: 'backlog', kind: 'backlog', chunks: 20_000, processes: [
          { name: 'chunk', pid: 1, peakRssMb: 180, maxSampledRssMb: 170, cpuSeconds: 1, cpuShare: 0.1, cpuSecondsTotal: 2 },
          { name: 'store', pid: 2, peakRssMb: 260, maxSampledRssMb: 250, cpuSeconds: 1, cpuShare: 0.1, cpuSecondsTotal: 2 },
        ] }),
      ],
      indexCost: { chunks: 1000, batchSize: 256, withIndexSeconds: 4, withoutIndexSeconds: 1, withIndexRowsPerSec: 250, withoutIndexRowsPerSec: 1000, indexShare: 0.75 },
      double,
    }));
    expect(rows.get('ceiling-kafka')).toMatchObject({ status: 'PASS', threshold: 576 });
    expect(rows.get('ceiling-embedded')).toMatchObject({ status: 'FALL SHORT', measured: 400 });
    expect(rows.get('ceiling-embedded')!.caveat).toContain('63 % of the ceiling');
    expect(rows.get('latency-p95')).toMatchObject({ status: 'PASS', measured: 450 });
    expect(rows.get('backlog-rss')).toMatchObject({ status: 'FALL SHORT', measured: 260, threshold: 150 });
    expect(rows.get('backlog-rss')!.caveat).toMatch(/worst: store.*backlog was 20,000 chunks, not 100,000/);
    expect(rows.get('index-share')).toMatchObject({ status: 'INFO', measured: 75 });
    expect(TARGETS.kafkaChunksPerSec).toBe(2000);
  });

  it('flags a run that did not store every document, or that shared the machine with other work', () => {
    const rows = byId(evaluateTargets({ scenarios: [scenario({ mode: 'embedded', successRate: 0.5, otherCpuCores: 0.6 })], double }));
    expect(rows.get('embedded-throughput')!.caveat).toBe('only 50.0 % of the documents were stored; other work used 0.60 cores during the run');
    const quiet = byId(evaluateTargets({ scenarios: [scenario({ mode: 'embedded', otherCpuCores: 0.1 })], double }));
    expect(quiet.get('embedded-throughput')!.caveat).toBeUndefined();
  });

  describe('with the real model', () => {
    const server = { host: 'http://127.0.0.1:11600', model: 'all-minilm', version: '0.11.4', dimension: 384 };
    const level = (concurrency: number, chunksPerSec: number, otherCpuCores = 0): ModelCeilingLevel => ({ concurrency, batches: 40, chunks: 640, seconds: 640 / chunksPerSec, chunksPerSec, meanRequestMs: 500 * concurrency, otherCpuCores });
    const ceiling: ModelCeiling = { server, batchSize: 16, meanChunkTokens: 190, levels: [level(1, 28), level(2, 40), level(3, 39.5, 0.6)], best: level(2, 40), notes: [] };
    const modelRun = (over: Partial<ScenarioResult>): ScenarioResult => scenario({ embedder: 'model', kind: 'ceiling', docs: 100, storedChunks: 400, seconds: 10, settings: { EMBED_CONCURRENCY: '2', EMBED_BATCH_SIZE: '16' }, ...over });

    it('holds the chunks the model embedded per second against 90 % of its best level, per mode', () => {
      const rows = byId(evaluateTargets({
        scenarios: [
          modelRun({ id: 'k', embeddedChunks: 380 }), // 38 chunks/s: 95 %
          modelRun({ id: 'e', mode: 'embedded', embeddedChunks: 300 }), // 30 chunks/s: 75 %
          scenario({ id: 'dbl', embedder: 'double', kind: 'ceiling' }),
        ],
        double,
        model: ceiling,
      }));
      expect(rows.get('model-kafka')).toMatchObject({ measured: 38, threshold: 36, status: 'PASS', source: 'k' });
      expect(rows.get('model-kafka')!.description).toContain('40.0 chunks/s (concurrency 2)');
      expect(rows.get('model-kafka')!.caveat).toBe('95 % of the ceiling; EMBED_CONCURRENCY=2, EMBED_BATCH_SIZE=16; ceiling measured with other work at concurrency 3');
      expect(rows.get('model-embedded')).toMatchObject({ measured: 30, status: 'FALL SHORT', source: 'e' });
    });

    it('counts stored chunks when a run did not say how many the model embedded', () => {
      const rows = byId(evaluateTargets({ scenarios: [modelRun({ id: 'k' })], double, model: ceiling }));
      expect(rows.get('model-kafka')).toMatchObject({ measured: 40, status: 'PASS' });
      expect(rows.get('model-embedded')).toMatchObject({ status: 'NOT MEASURED', source: 'no embedded run with the model' });
    });

    it('says why the model was not measured: skipped without OLLAMA_HOST, or the server failed', () => {
      const skipped = byId(evaluateTargets({ scenarios: [modelRun({})], double, model: { skipped: 'OLLAMA_HOST is not set' } }));
      expect(skipped.get('model-kafka')).toMatchObject({ status: 'NOT MEASURED', source: 'skipped: OLLAMA_HOST is not set' });
      expect(skipped.get('model-kafka')!.threshold).toBeUndefined();
      const failed = byId(evaluateTargets({ scenarios: [], double, model: { failed: 'no answer' } }));
      expect(failed.get('model-embedded')).toMatchObject({ status: 'NOT MEASURED', source: 'failed: no answer' });
      expect(byId(evaluateTargets({ scenarios: [], double })).get('model-kafka')!.source).toBe('no model scenario');
    });
  });
});
