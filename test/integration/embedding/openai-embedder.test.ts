/**
 * The OpenAI-compatible embedder over real HTTP (loopback) through the `openai` client, against
 * the test double's POST /v1/embeddings (test/helpers/ollama-double.ts), always started here:
 * each row of the classification table in src/embedding/openai-errors.ts is produced by a
 * server answer, not by a constructed error. The real model is test/model/openai-embedder.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { embedWithBisect } from '../../../src/embedding/embed-batch.ts';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { createOpenAIEmbedder, type OpenAIEmbedderOptions } from '../../../src/embedding/openai-embedder.ts';
import type { Embedder } from '../../../src/embedding/types.ts';
import { ConfigError, DependencyError } from '../../../src/errors/pipeline-error.ts';
import { startOllamaDouble, type OllamaDouble } from '../../helpers/ollama-double.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { caught } from '../../helpers/caught.ts';

const DIM = 16;
const KEY = 'sk-era-test-0123456789abcdef';

const texts = (n: number, prefix = 'chunk') => Array.from({ length: n }, (_, i) => `${prefix} ${i}: the minister presented the annual budget report`);
const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('OpenAI-compatible embedder (test double)', () => {
  let double: OllamaDouble;
  const make = (options: Partial<OpenAIEmbedderOptions> = {}): Embedder =>
    createOpenAIEmbedder({ baseUrl: `${double.url}/v1`, model: 'all-minilm', dimension: DIM, timeoutMs: 2_000, ...options });

  beforeAll(async () => {
    double = await startOllamaDouble({ dimension: DIM, models: ['all-minilm'] });
  });
  afterEach(() => double.reset());
  afterAll(() => double.close());

  describe('answers', () => {
    it('returns one finite unit vector of EMBED_DIM per input, in order, equal to the hash vectors the double computes', async () => {
      const input = texts(8);
      const vectors = await make().embed(input);
      expect(vectors).toHaveLength(8);
      for (const v of vectors) {
        expect(v).toBeInstanceOf(Float32Array);
        expect(v).toHaveLength(DIM);
        expect(norm(v)).toBeCloseTo(1, 3);
      }
      expect(vectors).toEqual(await createHashEmbedder({ dimension: DIM }).embed(input));
    });

    it('asks for floats, sends no `dimensions` by default, and no Authorization header without a key', async () => {
      await make().embed(['a', 'b']);
      expect(double.openaiRequests).toEqual([{ body: { model: 'all-minilm', input: ['a', 'b'], encoding_format: 'float' }, authorization: undefined }]);
    });

    it('sends OPENAI_API_KEY as a bearer token', async () => {
      const guarded = await startOllamaDouble({ dimension: DIM, apiKey: KEY });
      try {
        expect(await make({ baseUrl: `${guarded.url}/v1`, apiKey: KEY }).embed(['x'])).toHaveLength(1);
        expect(guarded.openaiRequests.map((r) => r.authorization)).toEqual([`Bearer ${KEY}`]);
      } finally {
        await guarded.close();
      }
    });

    it('puts vectors in input order by their `index` when the server lists them in another order', async () => {
      const input = texts(5);
      double.reverseNext(1);
      expect(await make().embed(input)).toEqual(await createHashEmbedder({ dimension: DIM }).embed(input));
    });

    it('with OPENAI_SEND_DIMENSIONS asks for `dimensions: EMBED_DIM` and takes the shortened vectors', async () => {
      const shortening = await startOllamaDouble({ dimension: DIM, openaiDimensions: 'honour' });
      try {
        const vectors = await make({ baseUrl: `${shortening.url}/v1`, dimension: 8, sendDimensions: true }).embed(['a', 'b']);
        expect(vectors.map((v) => v.length)).toEqual([8, 8]);
        expect(norm(vectors[0]!)).toBeCloseTo(1, 5);
        expect(shortening.openaiRequests[0]!.body).toMatchObject({ dimensions: 8 });
      } finally {
        await shortening.close();
      }
    });

    it('makes no request for no texts', async () => {
      expect(await make().embed([])).toEqual([]);
      expect(double.calls).toBe(0);
    });
  });

  describe('retriable dependency failures', () => {
    it.each([408, 409, 425, 429, 500, 502, 503, 504])('%i is a retriable DependencyError, and the next request succeeds', async (status) => {
      double.failNext(1, status);
      const embedder = make();
      const error = await caught(embedder.embed(texts(2)));
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, message: expect.stringContaining(`${status} `) });
      expect(await embedder.embed(texts(2))).toHaveLength(2);
      expect(double.calls).toBe(2); // maxRetries: 0 — the client never retried on its own
    });

    it('turns queue-full 503s into retriable errors', async () => {
      const busy = await startOllamaDouble({ dimension: DIM, maxConcurrent: 1 });
      try {
        busy.setLatency(200);
        const embedder = make({ baseUrl: `${busy.url}/v1` });
        const results = await Promise.allSettled([embedder.embed(['a']), embedder.embed(['b'])]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(rejected.reason).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, message: expect.stringMatching(/503 .*server busy/) });
      } finally {
        await busy.close();
      }
    });

    it('turns a refused connection into a retriable DependencyError naming the code', async () => {
      const gone = await startOllamaDouble({ dimension: DIM });
      const url = gone.url;
      await gone.close();
      const error = await caught(make({ baseUrl: `${url}/v1` }).embed(['x']));
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, message: expect.stringMatching(/ECONNREFUSED/) });
    });

    it('turns a connection the server drops mid-request into a retriable DependencyError', async () => {
      const dropping = await startOllamaDouble({ dimension: DIM });
      dropping.hangNext(1);
      const pending = caught(make({ baseUrl: `${dropping.url}/v1`, timeoutMs: 30_000 }).embed(['x']));
      await waitFor(() => dropping.calls === 1, { what: 'the request to arrive' });
      await dropping.close(); // destroys the hung response's socket
      expect(await pending).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    });

    it('fails a hung request with DEPENDENCY_TIMEOUT after EMBED_TIMEOUT_MS', async () => {
      double.hangNext(1);
      const error = await caught(make({ timeoutMs: 300 }).embed(texts(2)));
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ code: 'DEPENDENCY_TIMEOUT', retriable: true, message: expect.stringMatching(/within 300 ms \(EMBED_TIMEOUT_MS\)/) });
    });

    it('times out a slow answer and succeeds once latency is back under the deadline', async () => {
      double.setLatency(500);
      const embedder = make({ timeoutMs: 200 });
      expect(await caught(embedder.embed(['x']))).toMatchObject({ code: 'DEPENDENCY_TIMEOUT' });
      double.setLatency(0);
      expect(await embedder.embed(['x'])).toHaveLength(1);
    });
  });

  describe('inputs the server refuses, answers it cannot give', () => {
    it('rejects a marked input with 400 → EMBEDDER_REJECTED_INPUT, and bisecting dead-letters exactly that input', async () => {
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
      expect(outcomes[0]).toEqual({ ok: true, vector: (await createHashEmbedder({ dimension: DIM }).embed([batch[0]!]))[0] });
    });

    it.each([413, 422])('%i rejects the input (poison)', async (status) => {
      double.failNext(1, status);
      expect(await caught(make().embed(['x']))).toMatchObject({ code: 'EMBEDDER_REJECTED_INPUT', retriable: false });
    });

    it('rethrows a 503 met while bisecting instead of dead-lettering', async () => {
      double.rejectInputsContaining('<<BAD>>');
      const batch = texts(8);
      batch[5] = '<<BAD>>';
      const inner = make();
      let call = 0;
      const embedder: Embedder = { ...inner, embed: (t, s) => (++call === 2 && double.failFor(undefined, 503), inner.embed(t, s)) };
      const error = await caught(embedWithBisect(embedder, batch));
      expect(error).toBeInstanceOf(DependencyError);
      expect(double.calls).toBe(2);
    });

    it('isolates an input that makes the model emit NaN (500) by bisecting', async () => {
      double.nanInputsContaining('<<NAN>>');
      const batch = texts(8);
      batch[2] = '<<NAN>>';
      const outcomes = await embedWithBisect(make(), batch);
      expect(outcomes.flatMap((o, i) => (o.ok ? [] : [i]))).toEqual([2]);
      expect(outcomes[2]).toMatchObject({ ok: false, error: { code: 'EMBEDDER_BAD_RESPONSE' } });
    });

    it('rejects a wrong count and NaN (null) components as EMBEDDER_BAD_RESPONSE', async () => {
      double.wrongCountNext(1);
      expect(await caught(make().embed(texts(4)))).toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false, message: expect.stringMatching(/3 embeddings for 4 inputs/) });
      double.nanNext(1);
      expect(await caught(make().embed(texts(2)))).toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false });
    });
  });

  describe('configuration the operator must fix (CONFIG_INVALID, never retried)', () => {
    it('401 names OPENAI_API_KEY and never shows the key, though the server quotes it', async () => {
      const guarded = await startOllamaDouble({ dimension: DIM, apiKey: 'sk-the-right-key-000000' });
      try {
        const error = await caught(make({ baseUrl: `${guarded.url}/v1`, apiKey: KEY }).embed(['x']));
        expect(error).toBeInstanceOf(ConfigError);
        expect(error).toMatchObject({ code: 'CONFIG_INVALID', retriable: false, message: expect.stringMatching(/^OPENAI_API_KEY: .*refused access \(401 .*Incorrect API key/) });
        expect(error.message).not.toContain(KEY);
        expect(error.message).not.toContain(KEY.slice(3));
        expect(JSON.stringify(error)).not.toContain(KEY.slice(3));
        const missing = await caught(make({ baseUrl: `${guarded.url}/v1` }).embed(['x']));
        expect(missing.message).toMatch(/OPENAI_API_KEY: .*set OPENAI_API_KEY/);
      } finally {
        await guarded.close();
      }
    });

    it('403 names OPENAI_API_KEY', async () => {
      double.failNext(1, 403);
      expect(await caught(make({ apiKey: KEY }).embed(['x']))).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^OPENAI_API_KEY: .*403/) });
    });

    it('an unknown model names EMBED_MODEL, and bisecting does not dead-letter the batch for it', async () => {
      const error = await caught(make({ model: 'nomic-embed-text' }).embed(['x']));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^EMBED_MODEL=nomic-embed-text: .*404 .*not found/);
      await expect(embedWithBisect(make({ model: 'nomic-embed-text' }), texts(4))).rejects.toBeInstanceOf(ConfigError);
      expect(double.calls).toBe(2);
    });

    it('any other 404 names EMBED_MODEL; a 404 of the route itself names OPENAI_BASE_URL', async () => {
      double.failNext(1, 404);
      expect((await caught(make().embed(['x']))).message).toMatch(/^EMBED_MODEL=all-minilm: .*404/);
      const error = await caught(make({ baseUrl: double.url }).embed(['x'])); // no /v1: POST /embeddings
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^OPENAI_BASE_URL=http:\/\/127\.0\.0\.1:\d+: .*no \/embeddings .*\/v1/) });
    });

    it('vectors of another length than EMBED_DIM name EMBED_DIM with the length to set', async () => {
      const error = await caught(make({ dimension: DIM * 2 }).embed(texts(2)));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(new RegExp(`^EMBED_DIM=${DIM * 2} .*returns ${DIM}-dimensional vectors.*Set EMBED_DIM=${DIM}`));
    });

    it('a server that refuses `dimensions` names OPENAI_SEND_DIMENSIONS; one that ignores it names EMBED_DIM and says so', async () => {
      const refusing = await startOllamaDouble({ dimension: DIM, openaiDimensions: 'refuse' });
      try {
        const error = await caught(make({ baseUrl: `${refusing.url}/v1`, dimension: 8, sendDimensions: true }).embed(['x']));
        expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^OPENAI_SEND_DIMENSIONS=true: .*refused dimensions=8 .*set OPENAI_SEND_DIMENSIONS=false/) });
      } finally {
        await refusing.close();
      }
      const ignored = await caught(make({ dimension: 8, sendDimensions: true }).embed(['x']));
      expect(ignored).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^EMBED_DIM=8 .*returns 16-dimensional.*dimensions=8 \(OPENAI_SEND_DIMENSIONS=true\)/) });
    });
  });

  describe('shutdown', () => {
    it('aborts an in-flight request with a retriable SHUTDOWN when the caller\'s signal fires', async () => {
      double.hangNext(1);
      const controller = new AbortController();
      const pending = caught(make({ timeoutMs: 30_000 }).embed(['x'], controller.signal));
      await waitFor(() => double.calls === 1, { what: 'the request to arrive' });
      controller.abort();
      expect(await pending).toMatchObject({ code: 'SHUTDOWN', retriable: true });
    });

    it('close() aborts requests in flight with SHUTDOWN, is idempotent, and later calls send nothing', async () => {
      double.hangNext(1);
      const embedder = make({ timeoutMs: 30_000 });
      const pending = caught(embedder.embed(['x']));
      await waitFor(() => double.calls === 1, { what: 'the request to arrive' });
      await embedder.close!();
      await embedder.close!();
      expect(await pending).toMatchObject({ code: 'SHUTDOWN', retriable: true });
      await expect(embedder.embed(['y'])).rejects.toMatchObject({ code: 'SHUTDOWN' });
      await expect(make().embed(['z'], AbortSignal.abort())).rejects.toMatchObject({ code: 'SHUTDOWN' });
      expect(double.calls).toBe(1);
    });
  });
});
