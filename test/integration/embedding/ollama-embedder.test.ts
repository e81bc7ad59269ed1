/**
 * The Ollama embedder over real HTTP (loopback) against the Ollama-API test double
 * (test/helpers/ollama-double.ts), always started here whatever the environment says: these
 * tests need faults a real server cannot show on demand (503 storms, hangs, wrong shapes,
 * injected latency) and a host count the test controls.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DependencyError } from '../../../src/errors/pipeline-error.ts';
import { embedWithBisect } from '../../../src/embedding/embed-batch.ts';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { createOllamaEmbedder, type OllamaEmbedderOptions } from '../../../src/embedding/ollama-embedder.ts';
import type { Embedder } from '../../../src/embedding/types.ts';
import { startOllamaDouble, type OllamaDouble } from '../../helpers/ollama-double.ts';
import { caught } from '../../helpers/caught.ts';

const DIM = 16;

const texts = (n: number, prefix = 'chunk') => Array.from({ length: n }, (_, i) => `${prefix} ${i}: the minister presented the annual budget report`);
const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('Ollama embedder: happy path', () => {
  let doubles: OllamaDouble[] = [];
  let embedder: Embedder;

  beforeAll(async () => {
    doubles = await Promise.all([startOllamaDouble({ dimension: DIM }), startOllamaDouble({ dimension: DIM })]);
    embedder = createOllamaEmbedder({ hosts: doubles.map((d) => d.url), model: 'all-minilm', dimension: DIM, timeoutMs: 5_000, keepAlive: '5m' });
  });
  afterAll(async () => {
    await embedder?.close?.();
    await Promise.all(doubles.map((d) => d.close()));
  });

  it('returns one finite vector of the configured dimension per input, in order', async () => {
    const input = texts(8);
    const vectors = await embedder.embed(input);
    expect(vectors).toHaveLength(8);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(DIM);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 3);
    }
    const [again] = await embedder.embed([input[3]!]);
    for (let i = 0; i < DIM; i++) expect(again![i]).toBeCloseTo(vectors[3]![i]!, 4);
  });

  it('uses both hosts, and the double\'s vectors equal EMBEDDER=hash vectors', async () => {
    for (const d of doubles) d.reset();
    const batches = Array.from({ length: 6 }, (_, i) => texts(4, `batch ${i}`));
    const results = await Promise.all(batches.map((b) => embedder.embed(b)));
    expect(doubles.map((d) => d.calls)).toEqual([3, 3]);
    expect(doubles[0]!.inputs + doubles[1]!.inputs).toBe(24);
    expect(results[2]).toEqual(await createHashEmbedder({ dimension: DIM }).embed(batches[2]!));
  });
});

describe('Ollama embedder: faults (test double)', () => {
  let double: OllamaDouble;
  const make = (options: Partial<OllamaEmbedderOptions> = {}) =>
    createOllamaEmbedder({ hosts: [double.url], model: 'all-minilm', dimension: DIM, timeoutMs: 2_000, keepAlive: '5m', ...options });

  beforeAll(async () => {
    double = await startOllamaDouble({ dimension: DIM, models: ['all-minilm'] });
  });
  afterEach(() => double.reset());
  afterAll(() => double.close());

  it('rejects a wrong embedding count as EMBEDDER_BAD_RESPONSE (non-retriable)', async () => {
    double.wrongCountNext(1);
    const error = await caught(make().embed(texts(4)));
    expect(error).toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false, message: expect.stringMatching(/3 embeddings for 4 inputs/) });
  });

  it('rejects NaN (null) components as EMBEDDER_BAD_RESPONSE', async () => {
    double.nanNext(1);
    expect(await caught(make().embed(texts(2)))).toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false });
  });

  it('treats Ollama\'s NaN 500 as EMBEDDER_BAD_RESPONSE, not an outage', async () => {
    double.nanNext(1, 'ollama-500');
    expect(await caught(make().embed(texts(2)))).toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false });
  });

  it('does not time out requests that queue behind each other in one busy server, as long as it answers', async () => {
    // One Ollama answers one batch at a time: six requests sent at once take 6 × 150 ms, far
    // past the 300 ms timeout for the last ones, yet the server answers every 150 ms.
    const serial = await startOllamaDouble({ dimension: DIM, serial: true });
    try {
      serial.setLatency(150);
      const embedder = createOllamaEmbedder({ hosts: [serial.url], model: 'all-minilm', dimension: DIM, timeoutMs: 300, keepAlive: '5m' });
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => embedder.embed(texts(2, `queued ${i}`))));
      expect(results.map((r) => r.length)).toEqual([2, 2, 2, 2, 2, 2]);
      // A server that stops answering is still noticed within the timeout.
      serial.hangNext(1);
      expect(await caught(embedder.embed(texts(1, 'hung')))).toMatchObject({ code: 'DEPENDENCY_TIMEOUT' });
    } finally {
      await serial.close();
    }
  });

  it('reports a model of another dimension as CONFIG_INVALID naming EMBED_DIM', async () => {
    const error = await caught(make({ dimension: DIM * 2 }).embed(texts(2)));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`EMBED_DIM=${DIM * 2} .*Set EMBED_DIM=${DIM}`));
  });

  it('turns 503 "server busy" into a retriable DependencyError, and recovers after', async () => {
    double.failNext(1, 503);
    const embedder = make();
    const error = await caught(embedder.embed(texts(2)));
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, message: expect.stringMatching(/503 .*server busy/) });
    expect(await embedder.embed(texts(2))).toHaveLength(2);
  });

  it('turns queue-full (maxConcurrent) into retriable 503s', async () => {
    const busy = await startOllamaDouble({ dimension: DIM, maxConcurrent: 1 });
    try {
      busy.setLatency(200);
      const embedder = make({ hosts: [busy.url] });
      const results = await Promise.allSettled([embedder.embed(['a']), embedder.embed(['b'])]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toMatchObject({ retriable: true, message: expect.stringMatching(/503/) });
    } finally {
      await busy.close();
    }
  });

  it('fails a hung request with DEPENDENCY_TIMEOUT within timeoutMs', async () => {
    double.hangNext(1);
    const error = await caught(make({ timeoutMs: 300 }).embed(texts(2)));
    expect(error).toMatchObject({ code: 'DEPENDENCY_TIMEOUT', retriable: true });
  });

  it('times out a slow answer and succeeds once latency is back under the deadline', async () => {
    double.setLatency(500);
    const embedder = make({ timeoutMs: 200 });
    expect(await caught(embedder.embed(['x']))).toMatchObject({ code: 'DEPENDENCY_TIMEOUT' });
    double.setLatency(0);
    expect(await embedder.embed(['x'])).toHaveLength(1);
  });

  it('turns a refused connection into a retriable DependencyError', async () => {
    const gone = await startOllamaDouble({ dimension: DIM });
    const url = gone.url;
    await gone.close();
    const error = await caught(make({ hosts: [url] }).embed(['x']));
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('rejects a marked input with 400 → EMBEDDER_REJECTED_INPUT, and bisect isolates exactly that input', async () => {
    double.rejectInputsContaining('<<TOO-LONG>>');
    const embedder = make();
    expect(await caught(embedder.embed(['fine', 'also <<TOO-LONG>> here']))).toMatchObject({
      code: 'EMBEDDER_REJECTED_INPUT', retriable: false, message: expect.stringMatching(/400 .*context length/),
    });
    double.reset();
    double.rejectInputsContaining('<<TOO-LONG>>');
    const batch = texts(16);
    batch[9] = `${batch[9]} <<TOO-LONG>>`;
    const outcomes = await embedWithBisect(embedder, batch);
    expect(outcomes.flatMap((o, i) => (o.ok ? [] : [i]))).toEqual([9]);
    expect(outcomes[9]).toMatchObject({ ok: false, error: { code: 'EMBEDDER_REJECTED_INPUT' } });
    expect(double.calls).toBe(1 + 2 * 4);
    const hash = createHashEmbedder({ dimension: DIM });
    expect(outcomes[0]).toEqual({ ok: true, vector: (await hash.embed([batch[0]!]))[0] });
  });

  it('isolates an input that makes the model emit NaN (Ollama 500) by bisecting', async () => {
    double.nanInputsContaining('<<NAN>>');
    const batch = texts(8);
    batch[2] = '<<NAN>>';
    const outcomes = await embedWithBisect(make(), batch);
    expect(outcomes.flatMap((o, i) => (o.ok ? [] : [i]))).toEqual([2]);
  });

  it('rethrows a 503 met while bisecting instead of dead-lettering', async () => {
    double.rejectInputsContaining('<<BAD>>');
    const batch = texts(8);
    batch[5] = '<<BAD>>';
    const inner = make();
    let call = 0;
    // The outage starts right after the first (rejected) request: the first bisection call meets it.
    const embedder: Embedder = { ...inner, embed: (t, s) => (++call === 2 && double.failFor(undefined, 503), inner.embed(t, s)) };
    const error = await caught(embedWithBisect(embedder, batch));
    expect(error).toBeInstanceOf(DependencyError);
    expect(error.message).toMatch(/503/);
    expect(double.calls).toBe(2);
  });

  it('reports an unknown model as CONFIG_INVALID telling the operator to pull it', async () => {
    const error = await caught(make({ model: 'nomic-embed-text' }).embed(['x']));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', retriable: false });
    expect(error.message).toMatch(/EMBED_MODEL=nomic-embed-text.*not found.*`ollama pull nomic-embed-text`/);
    await expect(embedWithBisect(make({ model: 'nomic-embed-text' }), texts(4))).rejects.toBeInstanceOf(ConfigError);
  });

  it('serves the rest of the Ollama API the client and operators touch', async () => {
    expect(await (await fetch(`${double.url}/`)).text()).toBe('Ollama is running');
    expect((await fetch(`${double.url}/`, { method: 'HEAD' })).status).toBe(200);
    expect(await (await fetch(`${double.url}/api/version`)).json()).toMatchObject({ version: expect.any(String) });
    expect(await (await fetch(`${double.url}/api/tags`)).json()).toMatchObject({ models: [{ name: 'all-minilm:latest' }] });
  });
});
