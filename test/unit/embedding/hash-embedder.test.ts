import { describe, expect, it } from 'vitest';
import { ConfigError, PipelineError } from '../../../src/errors/pipeline-error.ts';
import { fmix32, hashRange } from '../../../src/embedding/feature-hash.ts';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot; // both unit length
};
const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

const KAFKA =
  'Apache Kafka is a distributed event streaming platform. Producers append records to partitioned, replicated logs, ' +
  'and consumer groups read them in order within each partition, committing offsets as they go.';
const UNRELATED = [
  'The recipe calls for two cups of flour, a pinch of salt and butter folded into the dough before baking.',
  'Migratory birds navigate thousands of kilometres using the earth magnetic field and the position of the sun.',
  'The orchestra tuned their violins while the conductor reviewed the score of the symphony one last time.',
];

/** ~1 KB of varied prose, deterministic. */
function kilobyteText(seed: number): string {
  const words = ['ledger', 'budget', 'minister', 'defence', 'health', 'stream', 'partition', 'offset', 'vector', 'search',
    'policy', 'report', 'annual', 'revenue', 'hospital', 'treaty', 'embedding', 'document', 'chunk', 'Größe', 'naïve', 'données'];
  let out = '';
  let x = seed * 2654435761;
  while (out.length < 1000) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += words[x % words.length] + (x % 7 === 0 ? '. ' : ' ');
  }
  return out;
}

describe('hash embedder', () => {
  const embedder = createHashEmbedder({ dimension: 384 });

  it('is lexical, labelled hash-v1 by default, with the configured dimension', () => {
    expect(embedder).toMatchObject({ kind: 'lexical', model: 'hash-v1', dimension: 384 });
    expect(createHashEmbedder({ dimension: 8, model: 'custom' }).model).toBe('custom');
  });

  it('returns one unit-length Float32Array per text, in order', async () => {
    const vectors = await embedder.embed(['alpha beta', KAFKA, 'gamma']);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(384);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    const [again] = await embedder.embed([KAFKA]);
    expect(again).toEqual(vectors[1]);
  });

  it('gives identical vectors for the same text across instances', async () => {
    const other = createHashEmbedder({ dimension: 384 });
    expect(await other.embed([KAFKA])).toEqual(await embedder.embed([KAFKA]));
  });

  it('keeps hash-v1 stable (changing the scheme needs a new model label)', async () => {
    expect(hashRange('kafka', 0, 5)).toBe(hashRange('xkafka', 1, 6));
    expect(fmix32(0)).toBe(0);
    const [v] = await createHashEmbedder({ dimension: 64 }).embed(['The quick brown fox jumps over the lazy dog']);
    // Position-weighted checksum of the whole vector plus a few raw components.
    const checksum = Math.round(v!.reduce((sum, x, i) => sum + (i + 1) * x, 0) * 1e4);
    expect([checksum, ...Array.from(v!.slice(0, 4), (x) => Math.round(x * 1e4))]).toMatchInlineSnapshot(`
      [
        -1130755,
        -844,
        0,
        -844,
        0,
      ]
    `);
  });

  it('ignores case and punctuation, and tokenises non-Latin scripts', async () => {
    const [a, b, c, d, e] = await embedder.embed(['Hello, World!', 'hello world', 'Größe der Straße', 'GRÖSSE', '東京 は 日本 の 首都']);
    expect(a).toEqual(b);
    expect(cosine(c!, d!)).toBeLessThan(0.99);
    expect(norm(e!)).toBeCloseTo(1, 5);
    expect(cosine(e!, a!)).toBeLessThan(0.5);
  });

  it('embeds texts without letters or digits to the fixed unit vector, never NaN', async () => {
    const vectors = await embedder.embed(['', '   ', '!!! ... ---', '🙂']);
    const expected = new Float32Array(384).fill(1 / Math.sqrt(384));
    for (const v of vectors) {
      expect(v).toEqual(expected);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    vectors[0]![0] = 42; // callers own their vectors: mutating one does not change the others
    expect((await embedder.embed(['']))[0]).toEqual(expected);
  });

  it('places a sentence from a text closer to that text than to unrelated texts', async () => {
    const sentence = 'consumer groups read them in order within each partition';
    const [query, source, ...others] = await embedder.embed([sentence, KAFKA, ...UNRELATED]);
    const own = cosine(query!, source!);
    for (const other of others) expect(own).toBeGreaterThan(cosine(query!, other) + 0.2);
  });

  it('rates morphological variants as similar through character 3-grams', async () => {
    const [a, b, c] = await embedder.embed(['partitioning', 'partitioned', 'orchestra']);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!) + 0.2);
  });

  it('rejects a dimension that is not an integer ≥ 2 with a ConfigError', () => {
    for (const dimension of [0, 1, 2.5, Number.NaN]) {
      expect(() => createHashEmbedder({ dimension })).toThrow(ConfigError);
    }
    expect(() => createHashEmbedder({ dimension: 1 })).toThrow(/EMBED_DIM/);
  });

  it('rejects with a retriable SHUTDOWN error when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await embedder.embed(['x'], controller.signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'SHUTDOWN', retriable: true });
  });

  it('embeds ~1 KB chunks fast (rate is logged, not asserted)', async () => {
    const texts = Array.from({ length: 256 }, (_, i) => kilobyteText(i + 1));
    await embedder.embed(texts); // warm-up
    const rounds = 20;
    const started = performance.now();
    for (let r = 0; r < rounds; r++) await embedder.embed(texts);
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round((rounds * texts.length) / seconds);
    console.log(`hash embedder: ${rate} chunks/s of ~1 KB (dimension 384, one core)`);
    expect(rate).toBeGreaterThan(0);
  });
});
