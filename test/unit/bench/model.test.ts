import { describe, expect, it } from 'vitest';
import { embedWindow } from '../../../bench/kafka/stage-metrics.ts';
import { batchesPerLevel, bestLevel, describeShares, embedderEnv, isSemantic, modelRunDocs, saturationNotes, serverServiceName, shares } from '../../../bench/lib/model.ts';
import { modelLines } from '../../../bench/lib/report.ts';
import type { ModelCeiling, ModelCeilingLevel, ScenarioResult } from '../../../bench/lib/types.ts';

const server = { host: 'http://127.0.0.1:11600', model: 'all-minilm', version: '0.11.4', dimension: 384 };
const level = (concurrency: number, chunksPerSec: number, over: Partial<ModelCeilingLevel> = {}): ModelCeilingLevel => ({ concurrency, batches: 40, chunks: 640, seconds: 640 / chunksPerSec, chunksPerSec, meanRequestMs: 400 * concurrency, ...over });

describe('model scenario sizing', () => {
  it('gives every level enough batches for 15 s at the highest level\'s speed, with 20 % to spare', () => {
    expect(batchesPerLevel(40, 16)).toBe(45); // 15 s × 40 chunks/s × 1.2 / 16
    expect(batchesPerLevel(0.5, 16)).toBe(4); // at least one round of the highest level
    expect(batchesPerLevel(40, 16, 30, 2)).toBe(90);
    expect(() => batchesPerLevel(0, 16)).toThrow(RangeError);
  });

  it('sizes a pipeline run for 40 s of embedding at the ceiling, at least 50 documents', () => {
    expect(modelRunDocs(40, 4)).toBe(400);
    expect(modelRunDocs(3, 4)).toBe(50);
    expect(modelRunDocs(Number.NaN, 4)).toBe(50);
  });

  it('takes the fastest level, the lower one on a tie', () => {
    expect(bestLevel([level(1, 30), level(2, 41), level(3, 41), level(4, 39)])!.concurrency).toBe(2);
    expect(bestLevel([])).toBeUndefined();
  });

  it('counts the limits seen as shares, most frequent first', () => {
    expect(shares([2, 2, 1, 2])).toEqual({ 2: 0.75, 1: 0.25 });
    expect(describeShares(shares([2, 2, 1, 2]))).toBe('2 in 75 %, 1 in 25 %');
    expect(shares([])).toBeUndefined();
    expect(describeShares(undefined)).toBe('not seen');
  });
});

describe('model scenario embedder', () => {
  it('points the stages at the real model, the test double or the hash embedder', () => {
    expect(embedderEnv({ model: server })).toEqual({ EMBEDDER: 'ollama', OLLAMA_HOST: server.host, EMBED_MODEL: 'all-minilm' });
    expect(embedderEnv({ doubleUrl: 'http://127.0.0.1:4000' })).toEqual({ EMBEDDER: 'ollama', OLLAMA_HOST: 'http://127.0.0.1:4000', EMBED_MODEL: 'all-minilm' });
    expect(embedderEnv({})).toEqual({ EMBEDDER: 'hash' });
  });

  it('tells a model that ranks a paraphrase above an unrelated sentence from hashes that rank them alike', () => {
    expect(isSemantic([[1, 0, 0], [0.8, 0.6, 0], [0.1, 0, 0.99]])).toBe(true);
    expect(isSemantic([[1, 0, 0], [0.1, 0.99, 0], [0.1, 0, 0.99]])).toBe(false);
    expect(isSemantic([[1, 0]])).toBe(false);
  });
});

describe('model scenario figures', () => {
  const ceiling: ModelCeiling = {
    server, batchSize: 16, meanChunkTokens: 190.4,
    levels: [level(1, 30, { serverCores: 1.7, otherCpuCores: 0.05 }), level(2, 40, { serverCores: 1.9 })],
    best: level(2, 40, { serverCores: 1.9 }), notes: ['calibration: …'],
  };

  it('says where a run stood against the ceiling: rate, requests, fill, limit, cores, idle model', () => {
    const run = {
      id: 'e', mode: 'embedded', storedChunks: 400, embeddedChunks: 360, seconds: 12, settings: { EMBED_CONCURRENCY: '2', EMBED_BATCH_SIZE: '16' },
      processes: [{ name: 'embedded', cpuShare: 0.2 }], services: [{ name: 'bench harness', cpuShare: 0.05 }, { name: serverServiceName(server.host), cpuShare: 1.5 }], otherCpuCores: 0.1,
      embed: { requests: 25, meanRequestMs: 950, inputsPerRequest: 14.4, limitShares: { 2: 0.9, 1: 0.1 }, inFlightS: 10.8, serverCores: 1.5 },
    } as unknown as ScenarioResult;
    expect(saturationNotes(run, ceiling)).toEqual([
      'model: 360 chunks embedded in 12.0 s = 30.0 chunks/s, 75 % of the ceiling 40.0 chunks/s (straight at /api/embed, concurrency 2)',
      'embed stage settings: EMBED_CONCURRENCY=2, EMBED_BATCH_SIZE=16',
      'embed requests: 25, 950 ms each on average (at the ceiling with 2 at once: 800 ms); 14.4 chunks per request (batch 16: 90 % full)',
      'concurrency limit of the embed stage: 2 in 90 %, 1 in 10 %',
      'model server used 1.50 cores (1.90 at the ceiling); the run\'s own processes 0.25, other work 0.10',
      'a request of ours was in flight 10.8 s of the 12.0 s (10 % of the window the model had nothing from us)',
    ]);
    expect(saturationNotes({ ...run, embed: undefined, embeddedChunks: undefined } as ScenarioResult, ceiling)).toHaveLength(2);
  });

  it('takes the embedding requests of a window from two counter readings', () => {
    expect(embedWindow({ requests: 10, requestSeconds: 5, cacheHits: 0 }, { requests: 30, requestSeconds: 25, cacheHits: 4 }, 300)).toEqual({ requests: 20, meanRequestMs: 1000, inputsPerRequest: 15 });
    expect(embedWindow({ requests: 10, requestSeconds: 5, cacheHits: 0 }, { requests: 10, requestSeconds: 5, cacheHits: 0 }, 0)).toBeUndefined();
  });

  it('prints the ceiling per level, or why it is missing', () => {
    const lines = modelLines(ceiling);
    expect(lines[0]).toBe('Model ceiling: all-minilm (384 dims) on Ollama 0.11.4 at http://127.0.0.1:11600, straight at /api/embed, batches of 16 chunk texts (190 tokens on average)');
    expect(lines[1]!.split('\n')[0]).toMatch(/^concurrency\s+batches\s+seconds\s+chunks\/s\s+ms\/request\s+server cores\s+other load$/);
    expect(lines).toContain('ceiling: 40.0 chunks/s at concurrency 2');
    expect(modelLines({ skipped: 'OLLAMA_HOST is not set' })).toEqual(['Model: skipped: OLLAMA_HOST is not set']);
    expect(modelLines({ failed: 'no answer' })).toEqual(['Model: FAILED: no answer']);
  });
});
