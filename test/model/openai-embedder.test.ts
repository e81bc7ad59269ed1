/**
 * EMBEDDER=openai against the REAL model: Ollama v0.11.4 serving all-MiniLM-L6-v2, through its
 * OpenAI-compatible API at `${host}/v1` (the `model` project's setup provides the host). What
 * only a real server shows: the vectors themselves, their meaning, and what Ollama's `/v1` does
 * with `encoding_format`, `dimensions` and inputs over the model's 512-token context.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createOllamaEmbedder } from '../../src/embedding/ollama-embedder.ts';
import { createOpenAIEmbedder } from '../../src/embedding/openai-embedder.ts';
import type { Embedder } from '../../src/embedding/types.ts';
import { ConfigError } from '../../src/errors/pipeline-error.ts';
import { ollamaHost } from '../helpers/services.ts';
import { caught } from '../helpers/caught.ts';

const MODEL = 'all-minilm';
const DIM = 384;
const TIMEOUT_MS = 120_000; // a first request loads the model

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (v: Float32Array) => Math.sqrt(dot(v, v));
const cosine = (a: Float32Array, b: Float32Array) => dot(a, b) / (norm(a) * norm(b));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
/** `n` distinct words; all-MiniLM's WordPiece gives each at least two tokens ("word", "##17"…). */
const words = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `word${from + i}`).join(' ');

describe('OpenAI-compatible embedder against a real Ollama /v1 (all-minilm)', () => {
  let host: string;
  let openai: Embedder;

  beforeAll(() => {
    host = ollamaHost();
    openai = createOpenAIEmbedder({ baseUrl: `${host}/v1`, model: MODEL, dimension: DIM, timeoutMs: TIMEOUT_MS });
  });

  it('returns one 384-dimensional unit vector per input, in order', async () => {
    const texts = ['The minister presented the annual budget.', 'Hospital waiting lists grew this winter.', 'A recipe for lemon cake.'];
    const vectors = await openai.embed(texts);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toHaveLength(DIM);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 4);
    }
    const [second] = await openai.embed([texts[1]!]);
    expect(maxDiff(second!, vectors[1]!)).toBeLessThan(1e-5);
  });

  it('gives the vectors of the Ollama embedder (/api/embed) for the same texts, within 1e-5', async () => {
    const ollama = createOllamaEmbedder({ hosts: [host], model: MODEL, dimension: DIM, timeoutMs: TIMEOUT_MS, keepAlive: '5m' });
    const texts = ['Parliament debated the new housing bill.', 'Interest rates rose by a quarter point.', 'é ü — unicode and punctuation!', ''];
    const [fromV1, fromApi] = await Promise.all([openai.embed(texts), ollama.embed(texts)]);
    for (let i = 0; i < texts.length; i++) expect(maxDiff(fromV1[i]!, fromApi[i]!), texts[i]).toBeLessThan(1e-5);
    await ollama.close?.();
  });

  it('scores a semantically close pair above an unrelated pair', async () => {
    const [budget, spending, football] = await openai.embed([
      'The government announced its budget for public spending next year.',
      'Next year the state will spend more money on public services.',
      'The striker scored twice in the second half of the match.',
    ]);
    expect(cosine(budget!, spending!)).toBeGreaterThan(cosine(budget!, football!) + 0.2);
  });

  it('reports an unknown model as CONFIG_INVALID naming EMBED_MODEL', async () => {
    const error = await caught(createOpenAIEmbedder({ baseUrl: `${host}/v1`, model: 'no-such-embedder', dimension: DIM, timeoutMs: TIMEOUT_MS }).embed(['x']));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', retriable: false, message: expect.stringMatching(/^EMBED_MODEL=no-such-embedder: .*404 .*not found/) });
  });

  it('cuts an input over the 512-token context to its first 512 tokens instead of refusing it (observed: 200, not 400)', async () => {
    // Both long texts share their first 600 words (over 1,200 tokens) and differ after: cut to
    // 512 tokens, they are the same input. The short pair, differing within the context, is the
    // control: a different tail does change the vector when the model sees it.
    const [longA, longB, shortA, shortB] = await openai.embed([
      `${words(600)} ${words(50, 10_000)}`,
      `${words(600)} completely different ending about football and recipes`,
      `${words(40)} alpha`,
      `${words(40)} omega`,
    ]);
    expect(longA).toHaveLength(DIM);
    expect(maxDiff(longA!, longB!)).toBeLessThan(1e-5);
    expect(maxDiff(shortA!, shortB!)).toBeGreaterThan(1e-3);
  });

  it('ignores `dimensions` (OPENAI_SEND_DIMENSIONS=true): the 384-long vectors are reported as an EMBED_DIM error that says so', async () => {
    const shortening = createOpenAIEmbedder({ baseUrl: `${host}/v1`, model: MODEL, dimension: 128, timeoutMs: TIMEOUT_MS, sendDimensions: true });
    const error = await caught(shortening.embed(['x']));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^EMBED_DIM=128 .*returns 384-dimensional vectors.*OPENAI_SEND_DIMENSIONS=false/);
  });

  it('answers float arrays even when asked for base64, which is why the embedder always asks for floats', async () => {
    const response = await fetch(`${host}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: ['hello world'], encoding_format: 'base64' }),
    });
    const body = (await response.json()) as { data: { embedding: unknown }[] };
    expect(response.status).toBe(200);
    expect(Array.isArray(body.data[0]!.embedding)).toBe(true);
    expect(body.data[0]!.embedding).toHaveLength(DIM);
  });
});
