/**
 * Codec figures for the benchmark: the size of each topic's message and the encode/decode rate
 * of a 384-float embedding message, JSON v1 against Avro through the schema registry
 * (SCHEMA_REGISTRY_URL; `infra/registry/registry.sh start` runs Apicurio locally).
 */
import { codecsFor, type AsyncCodec, type KindCodecs, type WireValues } from '../src/topics/codec-async.ts';
import { topicName } from '../src/topics/names.ts';
import type { ChunkRecord, DeleteRecord, EmbeddedChunk, RoutedChunk, StoredEvent } from '../src/topics/messages.ts';

export interface CodecFigures {
  registryUrl: string;
  dimension: number;
  sizes: Array<{ message: string; jsonBytes: number; avroBytes: number; ratio: number }>;
  /** Messages per second for the embedding message, one process, one at a time. */
  rates: { jsonEncode: number; jsonDecode: number; avroEncode: number; avroDecode: number };
}

function samples(dimension: number): { chunk: ChunkRecord; embedded: EmbeddedChunk; routed: RoutedChunk; del: DeleteRecord; stored: StoredEvent } {
  const chunk: ChunkRecord = {
    kind: 'chunk', docId: 'doc-42', version: 1_764_000_000_000, contentHash: 'c'.repeat(64), chunkId: 'a'.repeat(32), seq: 3, count: 9,
    text: 'The treasury published the quarterly budget review. Revenue from income tax rose faster than forecast. '.repeat(8),
    tokenCount: 200, headingPath: ['Budget', 'Revenue'], title: 'Budget review', source: 'file:///budget.md', metadata: { year: 2026 }, jobId: 'job-1',
  };
  const embedding = Float32Array.from({ length: dimension }, (_, i) => Math.sin(i) / 10);
  const embedded: EmbeddedChunk = { ...chunk, embedding, model: 'all-minilm' };
  const routed: RoutedChunk = { ...embedded, ministerId: 'finance', category: 'budget', routing: { method: 'nearest', score: 0.42 } };
  return { chunk, embedded, routed, del: { kind: 'delete', docId: 'doc-42', version: 1_764_000_000_001, jobId: 'job-1' }, stored: { id: 'doc-42', version: 1, chunks: 9, jobId: 'job-1', storedAt: 1_764_000_000_002 } };
}

async function rate<T>(codec: AsyncCodec<T>, value: T, n: number): Promise<[number, number]> {
  let started = performance.now();
  const encoded: Buffer[] = [];
  for (let i = 0; i < n; i++) encoded.push(await codec.encode(value));
  const encode = n / ((performance.now() - started) / 1000);
  started = performance.now();
  for (const bytes of encoded) await codec.decode(bytes);
  return [encode, n / ((performance.now() - started) / 1000)];
}

export async function measureCodecs(registryUrl: string, dimension: number, topicPrefix: string, messages = 5_000): Promise<CodecFigures> {
  const topicOf = (kind: string): string => topicName(topicPrefix, kind);
  const avro: KindCodecs = await codecsFor({ codec: 'avro', schemaRegistryUrl: registryUrl }, topicOf);
  const json: KindCodecs = await codecsFor({ codec: 'json', schemaRegistryUrl: undefined }, topicOf);
  const s = samples(dimension);
  const rows: Array<[string, keyof KindCodecs, unknown]> = [
    ['chunk', 'chunks', s.chunk], [`embedding (${dimension} floats)`, 'embeddings', s.embedded], [`routed (${dimension} floats)`, 'ministers', s.routed],
    ['delete', 'chunks', s.del], ['stored event', 'stored', s.stored],
  ];
  const sizes: CodecFigures['sizes'] = [];
  for (const [message, key, value] of rows) {
    const jsonBytes = (await (json[key] as AsyncCodec<unknown>).encode(value)).byteLength;
    const avroBytes = (await (avro[key] as AsyncCodec<unknown>).encode(value)).byteLength;
    sizes.push({ message, jsonBytes, avroBytes, ratio: avroBytes / jsonBytes });
  }
  await rate(json.embeddings, s.embedded as WireValues['embeddings'], 200); // warm-up
  await rate(avro.embeddings, s.embedded as WireValues['embeddings'], 200);
  const [jsonEncode, jsonDecode] = await rate(json.embeddings, s.embedded as WireValues['embeddings'], messages);
  const [avroEncode, avroDecode] = await rate(avro.embeddings, s.embedded as WireValues['embeddings'], messages);
  return { registryUrl, dimension, sizes, rates: { jsonEncode, jsonDecode, avroEncode, avroDecode } };
}

/** The report lines. */
export function codecLines(f: CodecFigures): string[] {
  return [
    `Codecs (JSON v1 vs Avro through ${f.registryUrl})`,
    ...f.sizes.map((r) => `  ${r.message.padEnd(24)} json ${String(r.jsonBytes).padStart(6)} B   avro ${String(r.avroBytes).padStart(6)} B   avro/json ${r.ratio.toFixed(2)}`),
    `  embedding messages/s: json encode ${Math.round(f.rates.jsonEncode)}, decode ${Math.round(f.rates.jsonDecode)}; avro encode ${Math.round(f.rates.avroEncode)}, decode ${Math.round(f.rates.avroDecode)}`,
  ];
}
