/**
 * The Avro codec against a real Confluent-compatible registry (Apicurio Registry 3.x started by
 * infra/registry/registry.sh, or SCHEMA_REGISTRY_URL): round trip of every topic's messages,
 * schema evolution both ways, an incompatible change refused at start, an unknown schema id as
 * poison (DecodeError: the runtime dead-letters it), and sizes/throughput of both codecs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DecodeError, DependencyError, ConfigError } from '../../../src/errors/pipeline-error.ts';
import { AvroCodec } from '../../../src/topics/avro/codec-avro.ts';
import { storedMapping } from '../../../src/topics/avro/mappings.ts';
import { createRegistryClient, registerValueSchema, type RegistryClient } from '../../../src/topics/avro/registry.ts';
import { storedSchema, embeddingsSchema, type AvroRecordSchema } from '../../../src/topics/avro/schemas.ts';
import { codecFor, codecsFor, decodeRaw, registryFor, type AsyncCodec, type CodecSettings, type WireValues } from '../../../src/topics/codec-async.ts';
import type { ChunkRecord, DeleteRecord, EmbeddedChunk, MessageKind, RawDocument, RoutedChunk, StoredEvent } from '../../../src/topics/messages.ts';
import { topicName } from '../../../src/topics/names.ts';
import { topicNames, topicSpecs } from '../../../src/dataflow/topics.ts';

/** A codec per message kind on the pipeline topic of that kind. */
const codecsOf = (settings: CodecSettings & { topicPrefix: string }) => codecsFor(settings, (kind) => topicName(settings.topicPrefix, kind));

const url = inject('schemaRegistryUrl');
const prefix = () => `t${randomUUID().slice(0, 8)}`;

const vector = (n: number) => new Float32Array(n).map((_, i) => Math.sin(i) / 3);
const raw: RawDocument = { id: 'doc-42', text: 'héllo 世界 🙂', title: 'T', source: 'file:///x', minister: 'finance', category: 'budget', metadata: { a: [1, { b: null }], n: 2.5 }, jobId: 'job-1' };
const chunk: ChunkRecord = { kind: 'chunk', docId: 'doc-42', version: 1_700_000_000_123, contentHash: 'ab'.repeat(32), chunkId: 'c'.repeat(40), seq: 0, count: 2, text: 'héllo 世界 🙂 '.repeat(40), tokenCount: 180, headingPath: ['A', 'B'], title: 'T', source: 'file:///x', metadata: { k: 1 }, jobId: 'job-1' };
const del: DeleteRecord = { kind: 'delete', docId: 'doc-42', version: 1_700_000_000_999, jobId: 'job-2' };
const embedded: EmbeddedChunk = { ...chunk, embedding: vector(384), model: 'all-minilm' };
const routed: RoutedChunk = { ...embedded, ministerId: 'finance', category: 'budget', routing: { method: 'nearest', score: 0.8125 } };
const stored: StoredEvent = { id: 'doc-42', version: 1_700_000_000_123, chunks: 2, jobId: 'job-1', storedAt: 1_700_000_001_000 };

describe('Avro codec through a real schema registry', () => {
  let client: RegistryClient;
  beforeAll(() => {
    client = createRegistryClient(url);
  });

  it('round-trips every topic\'s messages and registers <topic>-value subjects with BACKWARD', async () => {
    const settings = { codec: 'avro' as const, schemaRegistryUrl: url, topicPrefix: prefix() };
    const samples: { [K in MessageKind]: WireValues[K][] } = {
      raw: [raw, { id: 'min', text: 'only id and text' }],
      chunks: [chunk, del],
      embeddings: [embedded, del],
      ministers: [routed, { ...routed, category: undefined, routing: { method: 'default' } }, del],
      stored: [stored, { id: 'doc-42', version: 3, chunks: 0, storedAt: 4, deleted: true }],
    };
    // Every topic of the catalogue that has values (the raw lanes, the streams, era.reembed).
    const registry = registryFor(settings);
    const specs = topicSpecs(settings.topicPrefix).filter((t) => t.kind !== undefined);
    expect(specs.length).toBeGreaterThanOrEqual(7);
    for (const { topic, kind } of specs) {
      const codec = (await codecFor(kind!, topic, settings, registry)) as AsyncCodec<WireValues[MessageKind]>;
      expect(codec).toBeInstanceOf(AvroCodec);
      for (const value of samples[kind!]) {
        const bytes = await codec.encode(value);
        expect(bytes[0]).toBe(0);
        expect(bytes.readUInt32BE(1)).toBe((codec as AvroCodec<unknown>).schemaId);
        expect(await codec.decode(bytes)).toEqual(value);
      }
    }
    const codecs = await codecsOf(settings);
    // The embedding is exact float32.
    const back = (await codecs.embeddings.decode(await codecs.embeddings.encode(embedded))) as EmbeddedChunk;
    expect(back.embedding).toBeInstanceOf(Float32Array);
    expect(Buffer.from(back.embedding.buffer).equals(Buffer.from(embedded.embedding.buffer))).toBe(true);

    const subjects = (await (await fetch(`${url}/subjects`)).json()) as string[];
    for (const { topic } of specs) {
      expect(subjects).toContain(`${topic}-value`);
      const config = (await (await fetch(`${url}/config/${topic}-value`)).json()) as { compatibilityLevel: string };
      expect(config.compatibilityLevel).toBe('BACKWARD');
    }
    expect(subjects).not.toContain(`${topicNames(settings.topicPrefix).dlq}-value`);

    // Registering again (another stage starting) gives the same ids.
    const again = await codecsOf(settings);
    expect((again.chunks as AvroCodec<unknown>).schemaId).toBe((codecs.chunks as AvroCodec<unknown>).schemaId);
  });

  it('still reads JSON (era.raw from outside producers, and a json→avro switch)', async () => {
    const settings = { codec: 'avro' as const, schemaRegistryUrl: url, topicPrefix: prefix() };
    const avro = await codecsOf(settings);
    const json = await codecsOf({ ...settings, codec: 'json' });
    expect(await avro.chunks.decode(await json.chunks.encode(chunk))).toEqual(chunk);
    expect(await avro.embeddings.decode(await json.embeddings.encode(embedded))).toEqual(embedded);
    const outside = Buffer.from(JSON.stringify({ id: 'doc-42', text: 'from kcat' }));
    expect(await decodeRaw(avro.raw, Buffer.from('doc-42'), outside)).toEqual({ id: 'doc-42', text: 'from kcat' });
    // Avro values on era.raw get the same contract checks as JSON ones.
    const avroRaw = await avro.raw.encode(raw);
    expect(await decodeRaw(avro.raw, Buffer.from('doc-42'), avroRaw)).toEqual(raw);
    await expect(decodeRaw(avro.raw, Buffer.from('other-key'), avroRaw)).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(await decodeRaw(avro.raw, Buffer.from('doc-42'), null)).toBeNull();
  });

  it('evolves by a new optional field: old readers read new messages, new readers read old ones', async () => {
    const topic = `${prefix()}.stored`;
    const v2: AvroRecordSchema = { ...storedSchema, fields: [...storedSchema.fields, { name: 'durationMs', type: ['null', 'long'], default: null }] };
    const oldCodec = await AvroCodec.create(client, topic, storedSchema, storedMapping);
    const newCodec = await AvroCodec.create(client, topic, v2, storedMapping);
    expect(newCodec.schemaId).not.toBe(oldCodec.schemaId);
    const versions = (await (await fetch(`${url}/subjects/${topic}-value/versions`)).json()) as number[];
    expect(versions).toHaveLength(2);

    const newEvent = { ...stored, durationMs: 1234 } as StoredEvent;
    const newBytes = await newCodec.encode(newEvent);
    expect(newBytes.readUInt32BE(1)).toBe(newCodec.schemaId);
    expect(await oldCodec.decode(newBytes)).toEqual(stored); // old reader: the new field is dropped
    expect(await newCodec.decode(newBytes)).toEqual(newEvent);
    expect(await newCodec.decode(await oldCodec.encode(stored))).toEqual(stored); // new reader: default null = absent
  });

  it('refuses an incompatible change at start with an error naming the subject', async () => {
    const topic = `${prefix()}.embeddings`;
    await AvroCodec.create(client, topic, embeddingsSchema, storedMapping as never);
    const changed: AvroRecordSchema = {
      ...embeddingsSchema,
      fields: embeddingsSchema.fields.map((f) => (f.name === 'version' ? { ...f, type: 'string' } : f)),
    };
    const error = await registerValueSchema(client, topic, changed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`subject "${topic}-value"`);
    expect((error as Error).message).toMatch(/not BACKWARD compatible/);
    console.log(`[registry] incompatible change refused: ${(error as Error).message}`);
    // A new required field without a default is refused too.
    const required: AvroRecordSchema = { ...embeddingsSchema, fields: [...embeddingsSchema.fields, { name: 'lang', type: 'string' }] };
    await expect(registerValueSchema(client, topic, required)).rejects.toBeInstanceOf(ConfigError);
  });

  it('treats an unknown schema id as poison (DecodeError → DLQ), bad bytes too', async () => {
    const codecs = await codecsOf({ codec: 'avro', schemaRegistryUrl: url, topicPrefix: prefix() });
    const unknown = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0x01]), Buffer.from('payload')]);
    const error = await codecs.chunks.decode(unknown).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ code: 'UNDECODABLE', retriable: false });
    expect((error as Error).message).toMatch(/unknown schema id 2147483393/);
    const good = await codecs.chunks.encode(chunk);
    await expect(codecs.chunks.decode(good.subarray(0, 12))).rejects.toBeInstanceOf(DecodeError);
    await expect(codecs.chunks.decode(Buffer.from([0, 0, 0]))).rejects.toBeInstanceOf(DecodeError);
  });

  it('reports an unreachable registry as a retriable DependencyError', async () => {
    const dead = createRegistryClient('http://127.0.0.1:1/apis/ccompat/v7');
    const error = await registerValueSchema(dead, `${prefix()}.chunks`, storedSchema).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ retriable: true });
  });

  it('times out a registry that accepts but never answers (DependencyError, not a hang)', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const mute = createRegistryClient(`http://127.0.0.1:${port}`, { timeoutMs: 300 });
      const error = await registerValueSchema(mute, `${prefix()}.chunks`, storedSchema).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyError);
      // Past registration: the schema fetch of a decode times out too.
      const codec = await AvroCodec.create(client, `${prefix()}.stored`, storedSchema, storedMapping);
      const bytes = await codec.encode(stored);
      (codec as unknown as { client: RegistryClient }).client = mute;
      (mute.registry as unknown as { cache: unknown }).cache = new (client.registry.cache.constructor as new () => unknown)();
      const unknownId = Buffer.from(bytes);
      unknownId.writeUInt32BE(codec.schemaId + 1000, 1);
      const decodeError = await codec.decode(unknownId).catch((e: unknown) => e);
      expect(decodeError).toBeInstanceOf(DependencyError);
      expect(decodeError).toMatchObject({ retriable: true });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('measures message sizes and throughput of both codecs (384-float embedding)', async () => {
    const settings = { codec: 'avro' as const, schemaRegistryUrl: url, topicPrefix: prefix() };
    const avro = await codecsOf(settings);
    const json = await codecsOf({ ...settings, codec: 'json' });
    const lines: string[] = [];
    for (const [name, key, value] of [
      ['chunk', 'chunks', chunk],
      ['embedding (384 floats)', 'embeddings', embedded],
      ['routed (384 floats)', 'ministers', routed],
      ['delete', 'chunks', del],
      ['stored', 'stored', stored],
    ] as [string, 'chunks' | 'embeddings' | 'ministers' | 'stored', never][]) {
      const j = (await json[key].encode(value)).byteLength;
      const a = (await avro[key].encode(value)).byteLength;
      lines.push(`${name.padEnd(24)} json ${String(j).padStart(6)} B   avro ${String(a).padStart(6)} B   avro/json ${(a / j).toFixed(2)}`);
    }
    const rate = async (codec: AsyncCodec<WireValues['embeddings']>, n: number): Promise<[number, number]> => {
      let t = performance.now();
      const encoded: Buffer[] = [];
      for (let i = 0; i < n; i++) encoded.push(await codec.encode(embedded));
      const enc = n / ((performance.now() - t) / 1000);
      t = performance.now();
      for (const bytes of encoded) await codec.decode(bytes);
      return [enc, n / ((performance.now() - t) / 1000)];
    };
    const n = 5000;
    await rate(json.embeddings, 200); // warm-up
    await rate(avro.embeddings, 200);
    const [je, jd] = await rate(json.embeddings, n);
    const [ae, ad] = await rate(avro.embeddings, n);
    lines.push(`embedding msgs/s          json encode ${je.toFixed(0)} decode ${jd.toFixed(0)}   avro encode ${ae.toFixed(0)} decode ${ad.toFixed(0)}`);
    console.log(`[codec sizes/throughput]\n${lines.join('\n')}`);
    const jsonEmbedding = (await json.embeddings.encode(embedded)).byteLength;
    const avroEmbedding = (await avro.embeddings.encode(embedded)).byteLength;
    expect(avroEmbedding).toBeLessThan(jsonEmbedding);
    expect(avroEmbedding).toBeGreaterThanOrEqual(384 * 4);
  });
});
