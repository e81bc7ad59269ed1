/**
 * Avro schemas of every topic's value (DESIGN.md §3), registered under TopicNameStrategy
 * subjects (`<topic>-value`) with BACKWARD compatibility (./registry.ts).
 *
 * Shapes: a chunk and a delete travel in one record with a `kind` enum; the fields only a chunk
 * has are nullable (default null) and required again on decode when kind = chunk. The embedding
 * is an array of Avro `float` (exactly float32, as in the JSON codec). `metadata` (free JSON) is
 * a JSON string. Evolve only by adding fields with defaults (BACKWARD: a new reader must read
 * every old message); the registry refuses anything else at `topics create` and at stage start.
 */
import type { MessageKind } from '../messages.ts';

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
}

export interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
  doc?: string;
}

export const AVRO_NAMESPACE = 'era.ingest';

const optional = (name: string, type: unknown, doc?: string): AvroField => ({ name, type: ['null', type], default: null, ...(doc ? { doc } : {}) });

const kindField: AvroField = { name: 'kind', type: { type: 'enum', name: 'MessageKind', symbols: ['chunk', 'delete'] } };

/** Fields of both kinds, then the document fields a chunk carries (nullable for deletes). */
const chunkFields: AvroField[] = [
  kindField,
  { name: 'docId', type: 'string' },
  { name: 'version', type: 'long', doc: 'document version: the offset of its record in era.raw (see README, Guarantees)' },
  optional('jobId', 'string'),
  optional('contentHash', 'string'),
  optional('chunkId', 'string'),
  optional('seq', 'int'),
  optional('count', 'int'),
  optional('text', 'string'),
  optional('tokenCount', 'int'),
  optional('headingPath', { type: 'array', items: 'string' }),
  optional('title', 'string'),
  optional('source', 'string'),
  optional('minister', 'string'),
  optional('category', 'string'),
  optional('metadata', 'string', 'JSON object, as text'),
];

const embeddingFields: AvroField[] = [
  optional('embedding', { type: 'array', items: 'float' }),
  optional('model', 'string'),
];

const routingFields: AvroField[] = [
  optional('ministerId', 'string'),
  optional('routing', {
    type: 'record',
    name: 'Routing',
    fields: [
      { name: 'method', type: { type: 'enum', name: 'RoutingMethod', symbols: ['explicit', 'nearest', 'default'] } },
      optional('score', 'double'),
    ],
  }),
];

export const rawDocumentSchema: AvroRecordSchema = {
  type: 'record',
  name: 'RawDocument',
  namespace: AVRO_NAMESPACE,
  doc: 'era.raw value v1 (JSON from outside producers stays accepted on era.raw)',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'text', type: 'string' },
    optional('title', 'string'),
    optional('source', 'string'),
    optional('minister', 'string'),
    optional('category', 'string'),
    optional('metadata', 'string', 'JSON object, as text'),
    optional('jobId', 'string'),
    optional('contentType', 'string', 'text/markdown (the default when null) or text/plain'),
  ],
};

export const chunksSchema: AvroRecordSchema = {
  type: 'record', name: 'ChunksValue', namespace: AVRO_NAMESPACE, doc: 'era.chunks value: a chunk or a delete', fields: chunkFields,
};

export const embeddingsSchema: AvroRecordSchema = {
  type: 'record', name: 'EmbeddingsValue', namespace: AVRO_NAMESPACE, doc: 'era.embeddings value: an embedded chunk or a delete', fields: [...chunkFields, ...embeddingFields],
};

export const ministersSchema: AvroRecordSchema = {
  type: 'record', name: 'MinistersValue', namespace: AVRO_NAMESPACE, doc: 'era.ministers value: a routed chunk or a delete', fields: [...chunkFields, ...embeddingFields, ...routingFields],
};

export const storedSchema: AvroRecordSchema = {
  type: 'record',
  name: 'StoredEvent',
  namespace: AVRO_NAMESPACE,
  doc: 'era.stored value: a document fully stored, or deleted',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'version', type: 'long' },
    { name: 'chunks', type: 'int' },
    optional('jobId', 'string'),
    { name: 'storedAt', type: 'long' },
    optional('deleted', 'boolean'),
  ],
};

/** The value schema of each message kind (era.dlq carries bytes exactly as received: no schema). */
export const VALUE_SCHEMAS: Record<MessageKind, AvroRecordSchema> = {
  raw: rawDocumentSchema,
  chunks: chunksSchema,
  embeddings: embeddingsSchema,
  ministers: ministersSchema,
  stored: storedSchema,
};

/** TopicNameStrategy: the value subject of a topic. */
export const valueSubject = (topic: string): string => `${topic}-value`;
