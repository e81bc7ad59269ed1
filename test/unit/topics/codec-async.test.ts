import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { codecFor, decodeRaw } from '../../../src/topics/codec-async.ts';
import { chunksCodec } from '../../../src/topics/codec-json.ts';
import type { ChunkRecord } from '../../../src/topics/messages.ts';

const chunk: ChunkRecord = { kind: 'chunk', docId: 'd', version: 1, contentHash: 'ab', chunkId: 'c1', seq: 0, count: 1, text: 't', tokenCount: 1, headingPath: [] };

describe('codec selection (CODEC, SCHEMA_REGISTRY_URL)', () => {
  it('defaults to JSON, byte-identical to the JSON v1 codecs, with no registry', async () => {
    const config = loadConfig({});
    expect(config.codec).toBe('json');
    const codec = await codecFor('chunks', 'era.chunks', config);
    expect((await codec.encode(chunk)).equals(chunksCodec.encode(chunk))).toBe(true);
    expect(await codec.decode(chunksCodec.encode(chunk))).toEqual(chunk);
    const raw = await codecFor('raw', 'era.raw', config);
    expect(await decodeRaw(raw, Buffer.from('x'), Buffer.from('{"id":"x","text":"y"}'))).toEqual({ id: 'x', text: 'y' });
  });

  it('refuses CODEC=avro without SCHEMA_REGISTRY_URL at start', async () => {
    expect(() => loadConfig({ CODEC: 'avro' })).toThrowError(/CODEC=avro needs SCHEMA_REGISTRY_URL/);
    expect(() => loadConfig({ CODEC: 'protobuf' })).toThrowError(/CODEC="protobuf" is invalid/);
    await expect(codecFor('chunks', 'era.chunks', { codec: 'avro', schemaRegistryUrl: undefined })).rejects.toBeInstanceOf(ConfigError);
    expect(loadConfig({ CODEC: 'avro', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7' }).schemaRegistryUrl).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
  });
});
