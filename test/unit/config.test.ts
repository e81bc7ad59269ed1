import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDocs } from '../../src/config/docs.ts';
import { loadConfig } from '../../src/config/load.ts';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:19092']);
    expect(config.topicPrefix).toBe('era');
    expect(config.embedder).toBe('hash');
    expect(config.embedDim).toBeUndefined(); // settled at start: the model's, or 384 for the hash embedder
  });

  it('reads the environment', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', EMBED_DIM: '768', OLLAMA_HOST: 'http://x:11434,http://y:11434', KAFKA_SSL: 'true' });
    expect(config.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(config.embedDim).toBe(768);
    expect(config.ollamaHost).toHaveLength(2);
    expect(config.kafkaSsl).toBe(true);
  });

  it('names the setting, the value and the fix for every invalid value at once', () => {
    expect(() => loadConfig({ EMBED_DIM: 'lots', KAFKA_BROKERS: 'nohost', PROFILE: 'turbo' })).toThrowError(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/KAFKA_BROKERS="nohost" is invalid \(expected host:port\)[\s\S]*EMBED_DIM="lots"[\s\S]*Unset: the model[\s\S]*PROFILE="turbo"/) }),
    );
  });

  it('never prints a secret it rejects', () => {
    const secrets = { KAFKA_SASL_PASSWORD: 'hunter2-kafka-password', API_TOKEN: 'short token!' };
    let message = '';
    try {
      loadConfig({ KAFKA_SASL_MECHANISM: 'scram-sha-512', CODEC: 'protobuf', ...secrets });
      expect.unreachable();
    } catch (error) {
      message = (error as Error).message;
    }
    // The token is invalid and named, with its value hidden; the password is never shown.
    expect(message).toMatch(/API_TOKEN=\*\*\* is invalid/);
    expect(message).toMatch(/CODEC="protobuf" is invalid/);
    for (const value of Object.values(secrets)) expect(message).not.toContain(value);
    // A rule about settings together (SASL needs a user) does not print the password either.
    try {
      loadConfig({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: secrets.KAFKA_SASL_PASSWORD });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
      expect((error as Error).message).not.toContain(secrets.KAFKA_SASL_PASSWORD);
    }
  });

  it('rejects an overlap not smaller than the chunk size', () => {
    expect(() => loadConfig({ CHUNK_TOKENS: '64', CHUNK_OVERLAP: '64' })).toThrow(/CHUNK_OVERLAP=64 must be smaller than CHUNK_TOKENS=64/);
  });

  it('keeps docs/configuration.md in step with the schema (run `npm run docs:config`)', () => {
    expect(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')).toBe(renderConfigDocs());
  });
});
