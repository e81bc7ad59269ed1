/**
 * The hash rows of the dimension table (src/embedding/dimension.ts); the model rows need a
 * model server and are proved against the real one in test/model/cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { settleDimension } from '../../../src/embedding/dimension.ts';

describe('settling the vector dimension with the hash embedder', () => {
  it('takes EMBED_DIM, else the store\'s, else 384, and reads the store only when it must', async () => {
    let reads = 0;
    const stored = (d: number | undefined) => async () => {
      reads += 1;
      return d;
    };
    expect(await settleDimension(loadConfig({ EMBED_DIM: '64' }), { stored: stored(768) })).toBe(64);
    expect(reads).toBe(0);
    expect(await settleDimension(loadConfig({}), { stored: stored(768) })).toBe(768);
    expect(await settleDimension(loadConfig({}), { stored: stored(undefined) })).toBe(384);
    expect(await settleDimension(loadConfig({}))).toBe(384);
    expect(reads).toBe(2);
  });
});
