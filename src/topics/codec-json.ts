/**
 * JSON v1 codecs for the internal topics. Vectors travel as base64 of little-endian float32:
 * exact, and a third of the size of a number array. Every value carries `v` (codec version).
 */
import { DecodeError, ValidationError } from '../errors/pipeline-error.ts';
import { decodeUtf8 } from './raw-document.ts';
import type { ChunksValue, EmbeddingsValue, MinistersValue, StoredEvent } from './messages.ts';

export interface Codec<T> {
  encode(value: T): Buffer;
  /** Throws DecodeError / ValidationError (poison) on bytes it cannot turn into a T. */
  decode(bytes: Buffer): T;
}

export const JSON_CODEC_VERSION = 1;

export function vectorToBase64(vector: Float32Array): string {
  const le = new Float32Array(vector); // copy: the source may be a view over a shared buffer
  if (!littleEndian) {
    const view = new DataView(le.buffer);
    for (let i = 0; i < le.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  }
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

export function base64ToVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 4 !== 0) throw new DecodeError(`embedding is ${bytes.byteLength} bytes, not a whole number of float32`);
  const out = new Float32Array(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function parse(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(bytes, 'value'));
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError(`value is not JSON: ${(error as Error).message}`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError('value is not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.v !== JSON_CODEC_VERSION) throw new DecodeError(`unsupported codec version ${JSON.stringify(record.v)} (this build reads v${JSON_CODEC_VERSION})`);
  return record;
}

function requireFields(record: Record<string, unknown>, fields: Record<string, 'string' | 'number' | 'object'>): void {
  const issues = Object.entries(fields)
    .filter(([name, type]) => typeof record[name] !== type || record[name] === null)
    .map(([name, type]) => `${name} must be a ${type}`);
  if (issues.length) throw new ValidationError('invalid message', issues);
}

function decodeBase<T>(bytes: Buffer, withEmbedding: boolean, withRouting: boolean): T {
  const record = parse(bytes);
  if (record.kind === 'delete') {
    requireFields(record, { docId: 'string', version: 'number' });
  } else if (record.kind === 'chunk') {
    requireFields(record, { docId: 'string', version: 'number', contentHash: 'string', chunkId: 'string', seq: 'number', count: 'number', text: 'string', tokenCount: 'number', headingPath: 'object' });
    if (withEmbedding) {
      requireFields(record, { embedding: 'string', model: 'string' });
      record.embedding = base64ToVector(record.embedding as string);
    }
    if (withRouting) requireFields(record, { ministerId: 'string', routing: 'object' });
  } else {
    throw new ValidationError('invalid message', [`kind must be "chunk" or "delete", got ${JSON.stringify(record.kind)}`]);
  }
  delete record.v;
  return record as T;
}

function encodeBase(value: object): Buffer {
  return Buffer.from(JSON.stringify({ v: JSON_CODEC_VERSION, ...value }, (key, v) => (key === 'embedding' && v instanceof Float32Array ? vectorToBase64(v) : v)));
}

export const chunksCodec: Codec<ChunksValue> = {
  encode: encodeBase,
  decode: (bytes) => decodeBase(bytes, false, false),
};

export const embeddingsCodec: Codec<EmbeddingsValue> = {
  encode: encodeBase,
  decode: (bytes) => decodeBase(bytes, true, false),
};

export const ministersCodec: Codec<MinistersValue> = {
  encode: encodeBase,
  decode: (bytes) => decodeBase(bytes, true, true),
};

export const storedCodec: Codec<StoredEvent> = {
  encode: (event) => Buffer.from(JSON.stringify(event)),
  decode: (bytes) => {
    const record = JSON.parse(decodeUtf8(bytes, 'value')) as StoredEvent;
    requireFields(record as unknown as Record<string, unknown>, { id: 'string', version: 'number', chunks: 'number', storedAt: 'number' });
    return record;
  },
};
