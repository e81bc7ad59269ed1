import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { toVectors } from '../../../src/embedding/vectors.ts';

describe('embedding answer validation (every HTTP embedder)', () => {
  const expected = { source: 'ollama http://h:1 (model m)', count: 2, dimension: 3 };

  it('returns one Float32Array per input', () => {
    const vectors = toVectors([[1, 0, 0], [0, 0.5, 0.5]], expected);
    expect(vectors).toEqual([new Float32Array([1, 0, 0]), new Float32Array([0, 0.5, 0.5])]);
  });

  it.each([
    ['no list of embeddings', undefined],
    ['null', null],
    ['wrong count', [[1, 0, 0]]],
    ['mixed lengths', [[1, 0, 0], [1, 0]]],
    ['null component (NaN through JSON.stringify)', [[1, null, 0], [1, 0, 0]]],
    ['Infinity', [[1, Number.POSITIVE_INFINITY, 0], [1, 0, 0]]],
    ['beyond float32 range', [[1, 1e39, 0], [1, 0, 0]]],
    ['string component', [[1, '0', 0], [1, 0, 0]]],
    ['embedding not an array', [[1, 0, 0], 'x']],
  ])('rejects %s as EMBEDDER_BAD_RESPONSE', (_, embeddings) => {
    expect(() => toVectors(embeddings, expected)).toThrow(expect.objectContaining({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false }));
  });

  it('reports a model of another dimension as CONFIG_INVALID with the fix', () => {
    const error = (() => {
      try {
        toVectors([[1, 0], [0, 1]], expected);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/EMBED_DIM=3 .* 2-dimensional .*Set EMBED_DIM=2/);
  });
});
