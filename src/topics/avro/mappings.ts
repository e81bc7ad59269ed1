/**
 * Domain values ⇄ Avro records for each topic (see ./schemas.ts). Absent optional fields are
 * written as null and read back as absent; `metadata` travels as JSON text; the embedding as an
 * array of float, read back as a Float32Array. Decoding re-checks what the JSON codec checks.
 */
import { DecodeError, ValidationError } from '../../errors/pipeline-error.ts';
import type { ChunksValue, EmbeddingsValue, MinistersValue, RawDocument, StoredEvent } from '../messages.ts';
import type { AvroRecordSchema } from './schemas.ts';

/** Domain value ⇄ Avro record (plain object with every field of the schema present). */
export interface AvroMapping<T> {
  toAvro(value: T, schema: AvroRecordSchema): Record<string, unknown>;
  /** Throws DecodeError / ValidationError on records that break the contract. */
  fromAvro(record: Record<string, unknown>): T;
}

function toAvroRecord(value: object, schema: AvroRecordSchema): Record<string, unknown> {
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const { name } of schema.fields) {
    let v = source[name];
    if (v !== undefined && v !== null) {
      if (name === 'metadata') v = JSON.stringify(v);
      else if (name === 'embedding') v = Array.from(v as ArrayLike<number>);
      else if (name === 'routing') {
        const r = v as { method: string; score?: number };
        v = { method: r.method, score: r.score ?? null };
      }
    }
    out[name] = v ?? null;
  }
  return out;
}

function fromAvroRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(record)) {
    if (v === null || v === undefined) continue;
    if (name === 'metadata') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v as string);
      } catch (error) {
        throw new DecodeError(`metadata is not JSON: ${(error as Error).message}`, error);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ValidationError('invalid message', ['metadata must be a JSON object']);
      out.metadata = parsed;
    } else if (name === 'embedding') {
      out.embedding = Float32Array.from(v as number[]);
    } else if (name === 'routing') {
      const r = v as { method: string; score: number | null };
      out.routing = r.score === null ? { method: r.method } : { method: r.method, score: r.score };
    } else {
      out[name] = v;
    }
  }
  return out;
}

const CHUNK_FIELDS = ['contentHash', 'chunkId', 'seq', 'count', 'text', 'tokenCount', 'headingPath'];
const EMBEDDING_FIELDS = ['embedding', 'model'];
const ROUTING_FIELDS = ['ministerId', 'routing'];

function chunkMapping<T>(required: string[]): AvroMapping<T> {
  return {
    toAvro: (value, schema) => toAvroRecord(value as object, schema),
    fromAvro: (record) => {
      const value = fromAvroRecord(record);
      if (value.kind === 'delete') {
        const out: Record<string, unknown> = { kind: 'delete', docId: value.docId, version: value.version };
        if (value.jobId !== undefined) out.jobId = value.jobId;
        return out as T;
      }
      const missing = required.filter((name) => value[name] === undefined);
      if (missing.length) throw new ValidationError('invalid message', missing.map((name) => `${name} is required in a chunk`));
      return value as T;
    },
  };
}

export const chunksMapping = chunkMapping<ChunksValue>(CHUNK_FIELDS);
export const embeddingsMapping = chunkMapping<EmbeddingsValue>([...CHUNK_FIELDS, ...EMBEDDING_FIELDS]);
export const ministersMapping = chunkMapping<MinistersValue>([...CHUNK_FIELDS, ...EMBEDDING_FIELDS, ...ROUTING_FIELDS]);

/** Not validated here: the raw stage validates (and compares id with key) like for JSON. */
export const rawMapping: AvroMapping<RawDocument> = {
  toAvro: (value, schema) => toAvroRecord(value, schema),
  fromAvro: (record) => fromAvroRecord(record) as unknown as RawDocument,
};

export const storedMapping: AvroMapping<StoredEvent> = {
  toAvro: (value, schema) => toAvroRecord(value, schema),
  fromAvro: (record) => fromAvroRecord(record) as unknown as StoredEvent,
};
