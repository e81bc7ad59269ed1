import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { createEmbedder, type EmbedderConfig } from '../../../src/embedding/create-embedder.ts';

const base: EmbedderConfig = {
  embedder: 'hash', ollamaHost: ['http://127.0.0.1:11434'], embedModel: 'all-minilm', embedDim: 384, embedTimeoutMs: 30_000, embedKeepAlive: '5m',
  openaiBaseUrl: 'https://api.openai.com/v1', openaiApiKey: undefined, openaiSendDimensions: false,
};

function configError(make: () => unknown): ConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', retriable: false });
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('createEmbedder', () => {
  it('builds the hash embedder from the default configuration, labelled hash-v1', () => {
    const embedder = createEmbedder({ ...loadConfig({}), embedDim: 'any' }); // EMBED_DIM unset, no store: 384
    expect(embedder).toMatchObject({ kind: 'lexical', model: 'hash-v1', dimension: 384 });
  });

  it('uses EMBED_MODEL as the hash label when it was changed from the default', () => {
    expect(createEmbedder({ ...base, embedModel: 'lexical-v1', embedDim: 16 })).toMatchObject({ model: 'lexical-v1', dimension: 16 });
  });

  it('builds the Ollama embedder without contacting any host', () => {
    const embedder = createEmbedder({ ...loadConfig({ EMBEDDER: 'ollama', OLLAMA_HOST: 'http://a:11434,http://b:11434', EMBED_MODEL: 'nomic-embed-text' }), embedDim: 768 });
    expect(embedder).toMatchObject({ kind: 'semantic', model: 'nomic-embed-text', dimension: 768 });
  });

  it('builds the OpenAI-compatible embedder without contacting the server', () => {
    const embedder = createEmbedder({ ...loadConfig({ EMBEDDER: 'openai', OPENAI_API_KEY: 'sk-test-key-1234', EMBED_MODEL: 'text-embedding-3-small' }), embedDim: 1536 });
    expect(embedder).toMatchObject({ kind: 'semantic', model: 'text-embedding-3-small', dimension: 1536 });
    expect(createEmbedder({ ...base, embedder: 'openai', openaiBaseUrl: 'http://127.0.0.1:11434/v1/' })).toMatchObject({ kind: 'semantic', model: 'all-minilm' });
  });

  it('names the setting and the fix for an unknown EMBEDDER', () => {
    expect(configError(() => createEmbedder({ ...base, embedder: 'cohere' as never })).message).toMatch(/EMBEDDER="cohere".*hash.*ollama.*openai.*OPENAI_BASE_URL/);
  });

  it('names OPENAI_BASE_URL when it is not an http(s) URL, in the configuration and at construction', () => {
    expect(() => loadConfig({ EMBEDDER: 'openai', OPENAI_BASE_URL: 'ftp://x/v1' })).toThrow(/OPENAI_BASE_URL="ftp:\/\/x\/v1" is invalid \(expected an http\(s\) URL/);
    expect(() => loadConfig({ OPENAI_BASE_URL: 'api.openai.com/v1' })).toThrow(/OPENAI_BASE_URL="api.openai.com\/v1" is invalid/);
    expect(configError(() => createEmbedder({ ...base, embedder: 'openai', openaiBaseUrl: 'file:///v1' })).message).toMatch(/OPENAI_BASE_URL "file:\/\/\/v1" is not an http\(s\) URL/);
  });

  it('never shows OPENAI_API_KEY when the configuration is invalid', () => {
    try {
      loadConfig({ EMBEDDER: 'openai', OPENAI_API_KEY: 'sk-very-secret-0123456789', EMBED_DIM: 'lots' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/EMBED_DIM="lots"/);
      expect((error as Error).message).not.toContain('sk-very-secret');
    }
  });

  it('names EMBED_MODEL, EMBED_DIM and EMBED_TIMEOUT_MS for the OpenAI-compatible embedder too', () => {
    const openai = { ...base, embedder: 'openai' as const };
    expect(configError(() => createEmbedder({ ...openai, embedModel: '' })).message).toMatch(/EMBED_MODEL is empty/);
    expect(configError(() => createEmbedder({ ...openai, embedDim: 1 })).message).toMatch(/EMBED_DIM=1/);
    // A Node timer longer than 2^31 - 1 ms fires at once: every request would time out.
    expect(configError(() => createEmbedder({ ...openai, embedTimeoutMs: 2 ** 31 })).message).toMatch(/EMBED_TIMEOUT_MS=2147483648 .*up to 2147483647/);
    expect(() => loadConfig({ EMBED_TIMEOUT_MS: String(2 ** 31) })).toThrow(/EMBED_TIMEOUT_MS/);
  });

  it('names EMBED_DIM for an invalid dimension, in both modes', () => {
    expect(configError(() => createEmbedder({ ...base, embedDim: 1 })).message).toMatch(/EMBED_DIM/);
    expect(configError(() => createEmbedder({ ...base, embedder: 'ollama', embedDim: 0 })).message).toMatch(/EMBED_DIM=0/);
  });

  it('names OLLAMA_HOST when it is empty or not an http(s) URL', () => {
    expect(configError(() => createEmbedder({ ...base, embedder: 'ollama', ollamaHost: [] })).message).toMatch(/OLLAMA_HOST is empty/);
    expect(configError(() => createEmbedder({ ...base, embedder: 'ollama', ollamaHost: ['ftp://x:1'] })).message).toMatch(/OLLAMA_HOST entry "ftp:\/\/x:1"/);
    expect(configError(() => createEmbedder({ ...base, embedder: 'ollama', ollamaHost: ['not a url'] })).message).toMatch(/http:\/\/127.0.0.1:11434/);
  });

  it('names EMBED_MODEL, EMBED_TIMEOUT_MS and EMBED_KEEP_ALIVE when invalid', () => {
    const ollama = { ...base, embedder: 'ollama' as const };
    expect(configError(() => createEmbedder({ ...ollama, embedModel: ' ' })).message).toMatch(/EMBED_MODEL is empty/);
    expect(configError(() => createEmbedder({ ...ollama, embedTimeoutMs: 0 })).message).toMatch(/EMBED_TIMEOUT_MS=0/);
    expect(configError(() => createEmbedder({ ...ollama, embedKeepAlive: 'five minutes' })).message).toMatch(/EMBED_KEEP_ALIVE="five minutes".*5m/);
  });

  it('accepts every keep-alive form Ollama accepts', () => {
    for (const embedKeepAlive of ['5m', '1h30m', '300ms', '0', '-1', '300', '1.5h']) {
      expect(() => createEmbedder({ ...base, embedder: 'ollama', embedKeepAlive })).not.toThrow();
    }
  });
});
