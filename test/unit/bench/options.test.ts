import { describe, expect, it } from 'vitest';
import { parseBenchOptions, timestamp, UsageError, warmupFor } from '../../../bench/lib/options.ts';

const now = new Date('2026-11-29T10:00:00.123Z');

describe('bench options', () => {
  it('defaults to every mode and scenario at the issue\'s sizes', () => {
    const o = parseBenchOptions({}, now);
    expect(o.modes).toEqual(['embedded', 'kafka']);
    expect(o.scenarios).toEqual(['scaling', 'baseline', 'ceiling', 'rate', 'backlog', 'delivery', 'tracing', 'index', 'codecs', 'reembed', 'model', 'replicas']);
    expect(o.modelDocs).toBeUndefined();
    expect(o.modelBatches).toBeUndefined();
    expect(o.docs).toEqual([100, 1000, 10000]);
    expect(o).toMatchObject({ embedder: 'hash', double: { latencyMs: 20, itemLatencyMs: 2, concurrency: 2, batchSize: 16 }, backlogChunks: 100_000, durationS: 60, flowRate: 'unlimited', profile: 'standard', reembedChunks: 20_000, replicaDocs: 2000 });
    expect(o.rate).toBeUndefined();
    expect(o.out).toBe('bench/results/2026-11-29T10-00-00Z.json');
  });

  it('shrinks the runs with --quick, and explicit flags still win', () => {
    const o = parseBenchOptions({ quick: true, backlogChunks: '5000', mode: 'kafka' }, now);
    expect(o.docs).toEqual([100, 1000]);
    expect(o).toMatchObject({ durationS: 20, backlogChunks: 5000, modes: ['kafka'], quick: true, replicaDocs: 1000 });
  });

  it('takes the replicas scenario alone, with its run size', () => {
    expect(parseBenchOptions({ scenarios: 'replicas', replicaDocs: '3_000' }, now)).toMatchObject({ scenarios: ['replicas'], replicaDocs: 3000 });
    expect(() => parseBenchOptions({ replicaDocs: '0' })).toThrow(/--replica-docs 0 is invalid/);
  });

  it('parses lists, numbers and stage environment', () => {
    const o = parseBenchOptions({ docs: '10, 2_000', scenarios: 'rate,rate,index', rate: '12.5', stageEnv: ['MAX_IN_FLIGHT=4000', 'X_Y='] }, now);
    expect(o.docs).toEqual([10, 2000]);
    expect(o.scenarios).toEqual(['rate', 'index']);
    expect(o.rate).toBe(12.5);
    expect(o.stageEnv).toEqual({ MAX_IN_FLIGHT: '4000', X_Y: '' });
  });

  it('takes what-if settings for Kafka runs: replicas, vector index, no job header', () => {
    const o = parseBenchOptions({ replicas: 'store=2, embed=1', vectorIndex: 'none', job: false }, now);
    expect(o).toMatchObject({ replicas: { store: 2, embed: 1 }, vectorIndex: 'none', job: false });
    expect(parseBenchOptions({}, now)).toMatchObject({ replicas: {}, vectorIndex: 'hnsw', job: true });
    expect(() => parseBenchOptions({ replicas: 'store=0' })).toThrow(/--replicas store=0 is invalid/);
    expect(() => parseBenchOptions({ replicas: 'router=2' })).toThrow(/--replicas/);
    expect(() => parseBenchOptions({ vectorIndex: 'ivfflat' })).toThrow(/--vector-index ivfflat is invalid/);
  });

  it('names the flag and the fix on bad input', () => {
    expect(() => parseBenchOptions({ mode: 'cloud' })).toThrow(/--mode cloud is invalid: use embedded, kafka or all/);
    expect(() => parseBenchOptions({ docs: '100,x' })).toThrow(UsageError);
    expect(() => parseBenchOptions({ scenarios: 'scaling,speed' })).toThrow(/--scenarios .* use a comma list of/);
    expect(() => parseBenchOptions({ embedder: 'ollama' })).toThrow(/--embedder ollama is invalid/);
    expect(() => parseBenchOptions({ rate: '-1' })).toThrow(/--rate -1 is invalid/);
    expect(() => parseBenchOptions({ stageEnv: ['lower=1'] })).toThrow(/--stage-env lower=1 is invalid/);
    expect(() => parseBenchOptions({ concurrency: '0' })).toThrow(/--concurrency 0 is invalid/);
  });

  it('takes the model scenario alone, with its run sizes, and names a bad size', () => {
    const o = parseBenchOptions({ scenarios: 'model', modelDocs: '120', modelBatches: '1_000' }, now);
    expect(o).toMatchObject({ scenarios: ['model'], modelDocs: 120, modelBatches: 1000 });
    expect(() => parseBenchOptions({ modelDocs: '0' })).toThrow(/--model-docs 0 is invalid: give a whole number from 1 to 100000/);
    expect(() => parseBenchOptions({ modelBatches: 'many' })).toThrow(/--model-batches many is invalid/);
  });

  it('warms up with 10 % of a run, between 20 and 500 documents', () => {
    expect([10, 100, 1000, 10_000].map((d) => warmupFor(d, {}))).toEqual([20, 20, 100, 500]);
    expect(warmupFor(10_000, { warmup: 0 })).toBe(0);
    expect(timestamp(now)).toBe('2026-11-29T10-00-00Z');
  });
});
