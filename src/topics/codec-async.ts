/**
 * The codec of a topic, chosen by configuration (CODEC=json|avro, SCHEMA_REGISTRY_URL).
 * Async because the Avro codec may have to fetch a writer schema from the registry.
 *
 * CODEC=json (default): the JSON v1 codecs of ./codec-json.ts.
 * CODEC=avro: Avro through the registry (./avro/codec-avro.ts); values are registered at
 * creation (BACKWARD, `<topic>-value`), and JSON values are still decoded (first byte `{`,
 * never Avro's magic 0), so era.raw keeps accepting JSON from outside producers and a
 * json→avro switch needs no drained topics.
 */
import { ConfigError } from '../errors/pipeline-error.ts';
import type { Config } from '../config/schema.ts';
import { chunksCodec, embeddingsCodec, ministersCodec, storedCodec, type Codec } from './codec-json.ts';
import type { ChunksValue, EmbeddingsValue, MinistersValue, RawDocument, StoredEvent } from './messages.ts';
import { topicNames } from './names.ts';
import { DEFAULT_RAW_LIMITS, decodeRawDocument, encodeRawDocument, validateRawDocument, decodeUtf8, type RawLimits } from './raw-document.ts';
import type { AsyncCodec } from './async-codec.ts';
import { AvroCodec, MAGIC_BYTE } from './avro/codec-avro.ts';
import { chunksMapping, embeddingsMapping, ministersMapping, rawMapping, storedMapping, type AvroMapping } from './avro/mappings.ts';
import { createRegistryClient, type RegistryClient } from './avro/registry.ts';
import { VALUE_SCHEMAS, type AvroTopicKey } from './avro/schemas.ts';

export type { AsyncCodec } from './async-codec.ts';

export interface TopicValues {
  raw: RawDocument;
  rawPriority: RawDocument;
  chunks: ChunksValue;
  embeddings: EmbeddingsValue;
  ministers: MinistersValue;
  stored: StoredEvent;
  reembed: ChunksValue;
}

export type CodecSettings = Pick<Config, 'codec' | 'schemaRegistryUrl' | 'topicPrefix'>;

export function fromSyncCodec<T>(codec: Codec<T>): AsyncCodec<T> {
  return {
    encode: async (value) => codec.encode(value),
    decode: async (bytes) => codec.decode(bytes),
  };
}

/** era.raw as JSON: validated without a key (decodeRaw compares id and key). */
const rawJsonCodec: Codec<RawDocument> = {
  encode: encodeRawDocument,
  decode: (bytes) => decodeRawDocument(null, bytes)!,
};

const JSON_CODECS: { [K in AvroTopicKey]: Codec<TopicValues[K]> } = {
  raw: rawJsonCodec,
  rawPriority: rawJsonCodec,
  chunks: chunksCodec,
  embeddings: embeddingsCodec,
  ministers: ministersCodec,
  stored: storedCodec,
  reembed: chunksCodec,
};

const AVRO_MAPPINGS: { [K in AvroTopicKey]: AvroMapping<TopicValues[K]> } = {
  raw: rawMapping,
  rawPriority: rawMapping,
  chunks: chunksMapping,
  embeddings: embeddingsMapping,
  ministers: ministersMapping,
  stored: storedMapping,
  reembed: chunksMapping,
};

/**
 * The codec of one topic's values. With CODEC=avro this registers the topic's value schema
 * (ConfigError when the registry refuses it as incompatible, DependencyError when unreachable):
 * call it at start, once per topic, and share `client` between topics.
 */
export async function codecFor<K extends AvroTopicKey>(key: K, settings: CodecSettings, client?: RegistryClient): Promise<AsyncCodec<TopicValues[K]>> {
  const json = fromSyncCodec(JSON_CODECS[key] as Codec<TopicValues[K]>);
  if (settings.codec === 'json') return json;
  if (!settings.schemaRegistryUrl && !client) throw new ConfigError('CODEC=avro needs SCHEMA_REGISTRY_URL (a Confluent-compatible registry, e.g. http://127.0.0.1:18081/apis/ccompat/v7).');
  const registry = client ?? createRegistryClient(settings.schemaRegistryUrl!);
  const topic = topicNames(settings.topicPrefix)[key];
  return AvroCodec.create(registry, topic, VALUE_SCHEMAS[key], AVRO_MAPPINGS[key] as AvroMapping<TopicValues[K]>, json);
}

/** Every topic's codec, sharing one registry client (registers every schema when Avro). */
/** The codecs of every topic a stage reads or writes. */
export type StageCodecs = { [K in AvroTopicKey]: AsyncCodec<TopicValues[K]> };

export async function codecsFor(settings: CodecSettings): Promise<{ [K in AvroTopicKey]: AsyncCodec<TopicValues[K]> }> {
  const client = settings.codec === 'avro' && settings.schemaRegistryUrl ? createRegistryClient(settings.schemaRegistryUrl) : undefined;
  return {
    raw: await codecFor('raw', settings, client),
    rawPriority: await codecFor('rawPriority', settings, client),
    chunks: await codecFor('chunks', settings, client),
    embeddings: await codecFor('embeddings', settings, client),
    ministers: await codecFor('ministers', settings, client),
    stored: await codecFor('stored', settings, client),
    reembed: await codecFor('reembed', settings, client),
  };
}

/**
 * Decodes an era.raw record with `codec` (JSON or Avro+JSON): null value = tombstone (null);
 * Avro values are validated and their id compared with the key exactly as JSON ones are.
 */
export async function decodeRaw(codec: AsyncCodec<RawDocument>, key: Uint8Array | null, value: Uint8Array | null, limits: RawLimits = DEFAULT_RAW_LIMITS): Promise<RawDocument | null> {
  if (value === null || value.byteLength === 0 || value[0] !== MAGIC_BYTE || !(codec instanceof AvroCodec)) {
    return decodeRawDocument(key, value, limits);
  }
  if (key !== null && key.byteLength > limits.maxIdBytes) return decodeRawDocument(key, value, limits); // throws the key-size error
  const keyText = key === null ? undefined : decodeUtf8(key, 'key');
  if (value.byteLength > limits.maxBytes) return decodeRawDocument(key, value, limits); // throws OversizeError
  const doc = await codec.decode(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  return validateRawDocument(doc, keyText, limits);
}
