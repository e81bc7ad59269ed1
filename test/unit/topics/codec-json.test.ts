import { describe, expect, it } from 'vitest';
import { base64ToVector, chunksCodec, embeddingsCodec, ministersCodec, storedCodec, vectorToBase64 } from '../../../src/topics/codec-json.ts';
import type { ChunkRecord, EmbeddedChunk, RoutedChunk } from '../../../src/topics/messages.ts';

const chunk: ChunkRecord = { kind: 'chunk', docId: 'd', version: 1700000000000, contentHash: 'ab', chunkId: 'c1', seq: 0, count: 2, text: 'héllo 世界 🙂', tokenCount: 5, headingPath: ['A', 'B'], title: 'T', metadata: { k: 1 }, jobId: 'j' };

describe('JSON v1 codecs', () => {
  it('round-trips chunks and deletes', () => {
    expect(chunksCodec.decode(chunksCodec.encode(chunk))).toEqual(chunk);
    const del = { kind: 'delete' as const, docId: 'd', version: 5 };
    expect(chunksCodec.decode(chunksCodec.encode(del))).toEqual(del);
  });

  it('carries vectors exactly as base64 little-endian float32', () => {
    const embedding = new Float32Array([0.1, -2.5e-8, 3.4028234e38, 0]);
    const embedded: EmbeddedChunk = { ...chunk, embedding, model: 'm' };
    const back = embeddingsCodec.decode(embeddingsCodec.encode(embedded)) as EmbeddedChunk;
    expect(Array.from(back.embedding)).toEqual(Array.from(embedding));
    expect(base64ToVector(vectorToBase64(embedding))).toEqual(embedding);
    expect(Buffer.from(vectorToBase64(new Float32Array([1])), 'base64')).toEqual(Buffer.from([0, 0, 0x80, 0x3f]));
    const routed: RoutedChunk = { ...embedded, ministerId: 'finance', category: undefined, routing: { method: 'nearest', score: 0.5 } };
    expect((ministersCodec.decode(ministersCodec.encode(routed)) as RoutedChunk).ministerId).toBe('finance');
  });

  it('is a third of the size of a number array for a 384-dim vector', () => {
    const v = new Float32Array(384).map((_, i) => Math.sin(i) / 3);
    const asBase64 = vectorToBase64(v).length;
    const asNumbers = JSON.stringify(Array.from(v)).length;
    expect(asBase64 / asNumbers).toBeLessThan(0.36);
  });

  it.each([
    ['not JSON', Buffer.from('nope'), 'UNDECODABLE'],
    ['another codec version', Buffer.from('{"v":2,"kind":"chunk"}'), 'UNDECODABLE'],
    ['unknown kind', Buffer.from('{"v":1,"kind":"other"}'), 'INVALID_MESSAGE'],
    ['missing fields', Buffer.from('{"v":1,"kind":"chunk","docId":"d"}'), 'INVALID_MESSAGE'],
  ])('rejects %s as poison', (_name, bytes, code) => {
    expect(() => chunksCodec.decode(bytes)).toThrowError(expect.objectContaining({ code }));
  });

  it('rejects an embedding that is not whole float32s', () => {
    const bad = Buffer.from(JSON.stringify({ v: 1, ...chunk, embedding: Buffer.from([1, 2, 3]).toString('base64'), model: 'm' }));
    expect(() => embeddingsCodec.decode(bad)).toThrowError(expect.objectContaining({ code: 'UNDECODABLE' }));
  });

  it('round-trips stored events', () => {
    const event = { id: 'd', version: 2, chunks: 3, jobId: 'j', storedAt: 5 };
    expect(storedCodec.decode(storedCodec.encode(event))).toEqual(event);
  });
});
