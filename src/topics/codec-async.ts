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
import type { ChunksValue, EmbeddingsValue, MessageKind, Messages, MinistersValue, RawDocument, StoredEvent } from './messages.ts';
import { DEFAULT_RAW_LIMITS, decodeRawDocument, encodeRawDocument, validateRawDocument, decodeUtf8, type RawLimits } from './raw-document.ts';
import type { AsyncCodec } from './async-codec.ts';
import { AvroCodec, MAGIC_BYTE } from './avro/codec-avro.ts';
import { chunksMapping, embeddingsMapping, ministersMapping, rawMapping, storedMapping, type AvroMapping } from './avro/mappings.ts';
import { createRegistryClient, type RegistryClient } from './avro/registry.ts';
import { VALUE_SCHEMAS } from './avro/schemas.ts';

export type { AsyncCodec } from './async-codec.ts';

/** What the bytes of each message kind hold (a raw record holds the document alone). */
export interface WireValues {
  raw: RawDocument;
  chunks: ChunksValue;
  embeddings: EmbeddingsValue;
  ministers: MinistersValue;
  stored: StoredEvent;
}

export type CodecSettings = Pick<Config, 'codec' | 'schemaRegistryUrl'>;

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

const JSON_CODECS: { [K in MessageKind]: Codec<WireValues[K]> } = {
  raw: rawJsonCodec,
  chunks: chunksCodec,
  embeddings: embeddingsCodec,
  ministers: ministersCodec,
  stored: storedCodec,
};

const AVRO_MAPPINGS: { [K in MessageKind]: AvroMapping<WireValues[K]> } = {
  raw: rawMapping,
  chunks: chunksMapping,
  embeddings: embeddingsMapping,
  ministers: ministersMapping,
  stored: storedMapping,
};

/**
 * The codec of `topic`, whose values are of `kind`. With CODEC=avro this registers the kind's
 * value schema under `<topic>-value` (ConfigError when the registry refuses it as
 * incompatible, DependencyError when unreachable): call it at start, once per topic, and share
 * `client` between topics.
 */
export async function codecFor<K extends MessageKind>(kind: K, topic: string, settings: CodecSettings, client?: RegistryClient): Promise<AsyncCodec<WireValues[K]>> {
  const json = fromSyncCodec(JSON_CODECS[kind] as Codec<WireValues[K]>);
  if (settings.codec === 'json') return json;
  if (!settings.schemaRegistryUrl && !client) throw new ConfigError('CODEC=avro needs SCHEMA_REGISTRY_URL (a Confluent-compatible registry, e.g. http://127.0.0.1:18081/apis/ccompat/v7).');
  const registry = client ?? createRegistryClient(settings.schemaRegistryUrl!);
  return AvroCodec.create(registry, topic, VALUE_SCHEMAS[kind], AVRO_MAPPINGS[kind] as AvroMapping<WireValues[K]>, json);
}

export type KindCodecs = { [K in MessageKind]: AsyncCodec<WireValues[K]> };

/** A codec per message kind, each for the topic `topicOf(kind)`, sharing one registry client (benchmarks, tests). */
export async function codecsFor(settings: CodecSettings, topicOf: (kind: MessageKind) => string): Promise<KindCodecs> {
  const client = registryFor(settings);
  return {
    raw: await codecFor('raw', topicOf('raw'), settings, client),
    chunks: await codecFor('chunks', topicOf('chunks'), settings, client),
    embeddings: await codecFor('embeddings', topicOf('embeddings'), settings, client),
    ministers: await codecFor('ministers', topicOf('ministers'), settings, client),
    stored: await codecFor('stored', topicOf('stored'), settings, client),
  };
}

/** Encodes a message of `kind` with its topic's codec (a raw entry without a document is a tombstone: null). */
export async function encodeMessage<K extends MessageKind>(kind: K, codec: AsyncCodec<WireValues[K]>, value: Messages[K]): Promise<Buffer | null> {
  if (kind !== 'raw') return codec.encode(value as unknown as WireValues[K]);
  const { doc } = value as Messages['raw'];
  return doc === null ? null : (codec as AsyncCodec<WireValues['raw']>).encode(doc);
}

/** A registry client for `settings` when they use Avro: share one between the codecs of a process. */
export function registryFor(settings: CodecSettings): RegistryClient | undefined {
  return settings.codec === 'avro' && settings.schemaRegistryUrl ? createRegistryClient(settings.schemaRegistryUrl) : undefined;
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
