import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { DEFAULT_CHUNKER_OPTIONS, validateChunkerOptions } from '../../../src/stages/chunk/options.ts';
import { chunkDocument, chunkId } from '../../../src/stages/chunk/transform.ts';

describe('chunker options', () => {
  it('default to 256 tokens with 32 of overlap, like CHUNK_TOKENS / CHUNK_OVERLAP', () => {
    expect(DEFAULT_CHUNKER_OPTIONS).toEqual({ maxTokens: 256, overlapTokens: 32 });
    expect(Object.isFrozen(DEFAULT_CHUNKER_OPTIONS)).toBe(true);
  });

  it('accept the smallest limit and no overlap', () => {
    expect(validateChunkerOptions({ maxTokens: 16, overlapTokens: 0 })).toEqual({ maxTokens: 16, overlapTokens: 0 });
    expect(validateChunkerOptions({ maxTokens: 16, overlapTokens: 15 })).toEqual({ maxTokens: 16, overlapTokens: 15 });
  });

  it.each([
    [{ maxTokens: 15, overlapTokens: 0 }, /CHUNK_TOKENS \(maxTokens\) is 15/],
    [{ maxTokens: 256.5, overlapTokens: 0 }, /is 256\.5/],
    [{ maxTokens: Number.NaN, overlapTokens: 0 }, /is NaN/],
    [{ maxTokens: 256, overlapTokens: -1 }, /CHUNK_OVERLAP \(overlapTokens\) is -1/],
    [{ maxTokens: 256, overlapTokens: 256 }, /CHUNK_OVERLAP \(overlapTokens\) is 256, not smaller than CHUNK_TOKENS \(maxTokens\) 256/],
    [{ maxTokens: 64, overlapTokens: 100 }, /is 100.*Lower CHUNK_OVERLAP/],
  ])('reject %o with a ConfigError naming the value', (options, message) => {
    let thrown: unknown;
    try {
      validateChunkerOptions(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).code).toBe('CONFIG_INVALID');
    expect((thrown as ConfigError).retriable).toBe(false);
    expect((thrown as ConfigError).message).toMatch(message);
  });

  it('are validated by every entry point, before any work', () => {
    const bad = { maxTokens: 32, overlapTokens: 32 };
    expect(() => chunkDocument({ id: 'd', text: 'hello' }, { version: 1 }, bad)).toThrow(ConfigError);
    expect(() => chunkDocument({ id: 'd', text: '' }, { version: 1 }, bad)).toThrow(ConfigError);
    expect(() => chunkId('d', 'h', 0, bad)).toThrow(ConfigError);
  });
});
