import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/pipeline-error.ts';
import { fromVectorText, toVectorText } from '../../../src/storage/vector-text.ts';

describe('vector text form', () => {
  it('round-trips every float32 exactly through 9 significant digits', () => {
    const v = new Float32Array(10_000);
    for (let i = 0; i < v.length; i++) v[i] = (Math.sin(i * 12.9898) * 43758.5453) % 1 * 10 ** ((i % 20) - 10);
    v[0] = 0;
    v[1] = -1;
    v[2] = 3.4e38;
    v[3] = 1.4e-45;
    const back = fromVectorText(toVectorText(v));
    expect(Buffer.from(back.buffer)).toEqual(Buffer.from(v.buffer));
  });

  it('parses pgvector output, including exponents and the empty vector', () => {
    expect(Array.from(fromVectorText('[1,2.5,-3e-05]'))).toEqual([1, 2.5, Math.fround(-3e-5)]);
    expect(fromVectorText('[]').length).toBe(0);
  });

  it('rejects non-finite components, naming the item', () => {
    expect(() => toVectorText([1, Number.NaN], 'chunk c1')).toThrow(ValidationError);
    expect(() => toVectorText([Number.POSITIVE_INFINITY], 'chunk c1')).toThrow(/chunk c1.*index 0/);
  });
});
