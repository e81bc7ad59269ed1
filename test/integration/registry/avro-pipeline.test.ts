/**
 * The four stage processes with CODEC=avro against the real broker, the real PostgreSQL, the
 * real schema registry (Apicurio, Confluent-compatible API) and the Ollama-API test double:
 * documents flow end to end as Avro between stages (era.raw stays JSON from outside
 * producers), and a record with an unknown schema id is dead-lettered.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DLQ_HEADERS } from '../../../src/topics/headers.ts';
import { rawRecord } from '../../../src/topics/raw-record.ts';
import { corpus } from '../../helpers/corpus.ts';
import { startPipeline, type TestPipeline } from '../../helpers/pipeline.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('pipeline with Avro codecs through the schema registry', () => {
  let p: TestPipeline;

  beforeAll(async () => {
    p = await startPipeline({ extraEnv: { CODEC: 'avro', SCHEMA_REGISTRY_URL: inject('schemaRegistryUrl') } });
  }, 240_000);

  afterAll(async () => {
    const codes = await p.stop();
    expect(Object.values(codes).every((c) => c === 0)).toBe(true);
  }, 120_000);

  it('stores JSON-published documents that travel as Avro between the stages', async () => {
    const docs = corpus(30, 0, 'job-avro');
    await p.kit.produce(p.topics.raw, docs.map((d) => rawRecord(d, { nowMs: 5_000 })));
    await waitFor(() => new Set(p.stored.map((e) => e.id)).size === docs.length, { timeoutMs: 90_000, what: 'the documents to be stored' });
    const { rows: [n] } = await p.sql.query('SELECT count(*)::int AS docs FROM documents');
    expect(n.docs).toBe(docs.length);
    // Inter-stage records are Confluent-framed Avro: magic byte 0, then a 4-byte schema id.
    const [chunk] = await p.kit.readAll(p.topics.chunks, 1);
    expect(chunk!.value![0]).toBe(0);
    expect(chunk!.value!.readUInt32BE(1)).toBeGreaterThan(0);
  });

  it('dead-letters a record whose schema id the registry does not know', async () => {
    const unknown = Buffer.concat([Buffer.from([0]), Buffer.from([0x7f, 0xff, 0xff, 0xf0]), Buffer.from('garbage')]);
    await p.kit.produce(p.topics.chunks, [{ key: 'doc-unknown-schema', value: unknown }]);
    const [dead] = await p.kit.readAll(p.topics.dlq, 1, 60_000);
    expect(dead!.headers[DLQ_HEADERS.stage]).toBe('embed');
    expect(dead!.headers[DLQ_HEADERS.errorCode]).toBe('UNDECODABLE');
    expect(Buffer.compare(dead!.value!, unknown)).toBe(0);
  });
});
