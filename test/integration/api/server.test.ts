/**
 * The HTTP API in-process against the real Kafka broker and PostgreSQL: what a client sends is
 * what lands on `<prefix>.raw`, with the contract headers; invalid requests publish nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSpecs } from '../../../src/dataflow/topics.ts';
import { connectPublisher, type Publisher } from '../../../src/kafka/publisher.ts';
import { createApiServer, type ApiServer } from '../../../src/api/server.ts';
import { kafkaDeadLetters, kafkaDocumentSink } from '../../../src/api/kafka-ports.ts';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { migrate } from '../../../src/storage/migrate.ts';
import { createPgClient, type PgClient } from '../../../src/storage/pg-client.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { topicNames } from '../../../src/dataflow/topics.ts';
import type { RoutedChunk } from '../../../src/topics/messages.ts';
import { DLQ_HEADERS } from '../../../src/topics/headers.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { uniqueName } from '../../helpers/names.ts';

const DIM = 16;
const TOKEN = 'integration-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body: JSON.stringify(body),
});

describe('HTTP API (real Kafka and PostgreSQL)', () => {
  const kit = new KafkaTestKit();
  const prefix = uniqueName('api');
  const topics = topicNames(prefix);
  const embedder = createHashEmbedder({ dimension: DIM });
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: PgClient;
  let publisher: Publisher;
  let api: ApiServer;
  let base: string;

  beforeAll(async () => {
    kit.track(topics.raw, topics.rawPriority, topics.dlq, topics.chunks);
    database = await createTestDatabase();
    db = createPgClient(database.url, { max: 2 });
    await migrate(db, { dimension: DIM });
    publisher = await connectPublisher(kit.kafka, { ensure: { specs: topicSpecs(prefix), settings: { partitions: 3, replicationFactor: 1, maxMessageBytes: 2 * 1024 * 1024 } } });
    api = createApiServer({ sink: kafkaDocumentSink(publisher, prefix), deadLetters: kafkaDeadLetters(kit.kafka, prefix, `${prefix}.dlq-replay`), db, embedder, registry: createMetrics().registry }, { token: TOKEN, maxBodyBytes: 64 * 1024 });
    base = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await api?.close();
    await publisher?.close();
    await db?.close();
    await database?.drop();
    await kit.cleanup();
  });

  it('publishes valid documents under one job with the contract headers, and records the job', async () => {
    const docs = [
      { id: 'api-doc-1', text: 'The budget raises spending on schools.', title: 'Budget', minister: 'finance', category: 'budget', metadata: { n: 1 } },
      { id: 'api-doc-2', text: 'Hospitals get new beds.' },
      { id: 'api-doc-3', text: 'Tax credits for families.', source: 'file:///tax.md' },
    ];
    const before = Date.now();
    const res = await fetch(`${base}/documents`, post({ documents: docs, jobId: 'job-api-1' }));
    const after = Date.now();
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ jobId: 'job-api-1', accepted: 3, topic: topics.raw });

    const records = await kit.readAll(topics.raw, 3);
    expect(records).toHaveLength(3);
    const byKey = new Map(records.map((r) => [r.key!.toString(), r]));
    for (const doc of docs) {
      const record = byKey.get(doc.id)!;
      expect(JSON.parse(record.value!.toString())).toEqual({ ...doc, jobId: 'job-api-1' });
      expect(record.headers['era.job']).toBe('job-api-1');
      expect(Number(record.headers['era.published.at'])).toBeGreaterThanOrEqual(before);
      expect(Number(record.headers['era.published.at'])).toBeLessThanOrEqual(after);
      expect(record.headers['era.trace']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(records.map((r) => r.headers['era.trace'])).size).toBe(3);

    const job = await fetch(`${base}/jobs/job-api-1`, { headers: auth });
    expect(job.status).toBe(200);
    expect(await job.json()).toMatchObject({ jobId: 'job-api-1', docCount: 3, priority: false, done: 0, phases: { queued: 3, complete: 0, failed: 0 }, failures: [] });
    const jobs = (await (await fetch(`${base}/jobs`, { headers: auth })).json()) as { jobs: Array<{ jobId: string }> };
    expect(jobs.jobs.map((j) => j.jobId)).toContain('job-api-1');
    expect((await fetch(`${base}/jobs/job-unknown`, { headers: auth })).status).toBe(404);
  });

  it('sends priority work to the priority lane under a generated job id', async () => {
    const res = await fetch(`${base}/documents`, post({ documents: [{ id: 'urgent-1', text: 'Now.' }], priority: 'high' }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; topic: string };
    expect(body.topic).toBe(topics.rawPriority);
    const [record] = await kit.readAll(topics.rawPriority, 1);
    expect(record!.key!.toString()).toBe('urgent-1');
    expect(record!.headers['era.job']).toBe(body.jobId);
    expect(await (await fetch(`${base}/jobs/${body.jobId}`, { headers: auth })).json()).toMatchObject({ docCount: 1, priority: true, phases: { queued: 1 } });
  });

  it('publishes nothing and records no job when one document is invalid', async () => {
    const before = await kit.count(topics.raw);
    const res = await fetch(`${base}/documents`, post({ jobId: 'job-invalid', documents: [{ id: 'fine-1', text: 'ok' }, { id: 'broken', title: 'no text' }, { id: 'fine-2', text: 'ok' }] }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string }; invalid: Array<{ index: number; id: string; code: string; message: string }> };
    expect(body.error.code).toBe('INVALID_DOCUMENTS');
    expect(body.invalid).toEqual([{ index: 1, id: 'broken', code: 'INVALID_MESSAGE', message: expect.stringMatching(/text/) }]);
    expect(await kit.count(topics.raw)).toBe(before);
    expect((await fetch(`${base}/jobs/job-invalid`, { headers: auth })).status).toBe(404);
  });

  it('refuses a body over the limit (413), a non-JSON type (415), and missing or wrong tokens (401)', async () => {
    const before = await kit.count(topics.raw);
    const big = await fetch(`${base}/documents`, post({ id: 'big', text: 'x'.repeat(100 * 1024) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    const text = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: '{"id":"t","text":"x"}' });
    expect(text.status).toBe(415);
    const none = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"t","text":"x"}' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(`${base}/jobs`, { headers: { authorization: `Bearer ${TOKEN}-not` } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${base}/jobs`, { headers: auth })).status).toBe(200);
    expect(await kit.count(topics.raw)).toBe(before);
  });

  it('answers the probes without a token: live, and ready with Kafka and PostgreSQL up', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', kafka: true, database: true });
  });

  it('searches the stored chunks by meaning of the embedder, with filters', async () => {
    const texts = [
      { docId: 's-1', text: 'school budget and teacher salaries', minister: 'finance', category: 'budget' },
      { docId: 's-2', text: 'hospital beds and nurses', minister: 'health', category: undefined },
      { docId: 's-3', text: 'income tax credits for families', minister: 'finance', category: 'tax' },
    ];
    const vectors = await embedder.embed(texts.map((t) => t.text));
    const chunks: RoutedChunk[] = texts.map((t, i) => ({
      kind: 'chunk', docId: t.docId, version: 1, contentHash: `hash-${t.docId}`, title: `Title ${t.docId}`, chunkId: `chunk-${t.docId}`,
      seq: 0, count: 1, text: t.text, tokenCount: 6, headingPath: ['H'], embedding: vectors[i]!, model: embedder.model,
      ministerId: t.minister, category: t.category, routing: { method: 'explicit' },
    }));
    await writeBatch(db, chunks, { now: Date.now() });

    const res = await fetch(`${base}/search?q=${encodeURIComponent('hospital nurses')}&k=2`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { k: number; hits: Array<{ chunkId: string; docId: string; ministerId: string; title: string; score: number; headingPath: string[] }> };
    expect(body.k).toBe(2);
    expect(body.hits).toHaveLength(2);
    expect(body.hits[0]).toMatchObject({ chunkId: 'chunk-s-2', docId: 's-2', ministerId: 'health', title: 'Title s-2', headingPath: ['H'] });
    expect(body.hits[0]!.score).toBeGreaterThan(body.hits[1]!.score);

    const filtered = (await (await fetch(`${base}/search?q=hospital&minister=finance&category=tax`, { headers: auth })).json()) as { hits: Array<{ docId: string }> };
    expect(filtered.hits.map((h) => h.docId)).toEqual(['s-3']);
    // The stored documents and ministers, from the same PostgreSQL.
    const shown = await fetch(`${base}/documents/s-1`, { headers: auth });
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ docId: 's-1', version: 1, title: 'Title s-1', ministerId: 'finance', chunkCount: 1, chunks: [{ seq: 0, text: 'school budget and teacher salaries', tokenCount: 6, headingPath: ['H'], ministerId: 'finance', category: 'budget' }] });
    expect((await fetch(`${base}/documents/s-unknown`, { headers: auth })).status).toBe(404);
    const ministers = (await (await fetch(`${base}/ministers`, { headers: auth })).json()) as { ministers: Array<{ id: string; entryCount: number; categories: Record<string, number>; uncategorised: number }> };
    expect(ministers.ministers.find((m) => m.id === 'finance')).toMatchObject({ entryCount: 2, categories: { budget: 1, tax: 1 }, uncategorised: 0 });
    expect(ministers.ministers.find((m) => m.id === 'health')).toMatchObject({ entryCount: 1, uncategorised: 1 });
    const missing = await fetch(`${base}/search?k=3`, { headers: auth });
    expect(missing.status).toBe(400);
    expect((await fetch(`${base}/search?q=x&k=101`, { headers: auth })).status).toBe(400);
  });

  it('cancels a search that outruns the statement timeout and answers 503, not a hung request', async () => {
    // A second API over a pool with a 300 ms statement_timeout (API_STATEMENT_TIMEOUT_MS).
    const bounded = createPgClient(database.url, { max: 2, statementTimeoutMs: 300 });
    const slowApi = createApiServer({ sink: kafkaDocumentSink(publisher, prefix), deadLetters: kafkaDeadLetters(kit.kafka, prefix, `${prefix}.dlq-replay`), db: bounded, embedder, registry: createMetrics().registry }, { token: TOKEN });
    const slowBase = `http://127.0.0.1:${await slowApi.listen(0, '127.0.0.1')}`;
    const locker = createPgClient(database.url, { max: 1 });
    try {
      // Hold a lock that every read of chunks waits for, until the test releases it.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = locker.transaction(async (tx) => {
        await tx.query('LOCK TABLE chunks IN ACCESS EXCLUSIVE MODE');
        locked();
        await held;
      });
      await isLocked;
      const res = await fetch(`${slowBase}/search?q=budget`, { headers: auth });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DEPENDENCY_UNAVAILABLE');
      release();
      await holder;
      expect((await fetch(`${slowBase}/search?q=budget`, { headers: auth })).status).toBe(200);
    } finally {
      await slowApi.close();
      await bounded.close();
      await locker.close();
    }
  });

  it('lists era.dlq as `dlq list` does and replays it to the original topic once, as `dlq replay` does', async () => {
    const value = JSON.stringify({ kind: 'chunk', docId: 'dl-1', text: 'refused' });
    await kit.produce(topics.dlq, [{
      key: 'dl-1', value,
      headers: {
        [DLQ_HEADERS.stage]: 'embed', [DLQ_HEADERS.errorCode]: 'EMBEDDER_REJECTED_INPUT', [DLQ_HEADERS.errorMessage]: 'input too long',
        [DLQ_HEADERS.originalTopic]: topics.chunks, [DLQ_HEADERS.originalPartition]: '0', [DLQ_HEADERS.originalOffset]: '7',
        [DLQ_HEADERS.attempts]: '1', [DLQ_HEADERS.failedAt]: '1700000000000', 'era.job': 'job-dl',
      },
    }]);
    const listed = await fetch(`${base}/dead-letters?stage=embed`, { headers: auth });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({
      filter: { stage: 'embed' },
      deadLetters: [{
        id: expect.stringMatching(/^\d+:\d+$/), stage: 'embed', code: 'EMBEDDER_REJECTED_INPUT', message: 'input too long', docId: 'dl-1', jobId: 'job-dl', attempts: 1,
        failedAt: new Date(1700000000000).toISOString(), value, valueEncoding: 'utf8',
        kafka: { partition: expect.any(Number), offset: expect.any(String), originalTopic: topics.chunks, originalPartition: 0, originalOffset: '7' },
      }],
    });
    expect((await (await fetch(`${base}/dead-letters?code=UNDECODABLE`, { headers: auth })).json())).toMatchObject({ deadLetters: [] });
    const replay = await fetch(`${base}/dead-letters/replay`, post({ stage: 'embed' }));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ replayed: 1, skipped: 0, byTopic: { [topics.chunks]: 1 } });
    const [record] = await kit.readAll(topics.chunks, 1);
    expect(record!.key!.toString()).toBe('dl-1');
    expect(record!.value!.toString()).toBe(value);
    // The replay group committed: the same letter is not replayed twice, unless `all`.
    expect(await (await fetch(`${base}/dead-letters/replay`, post({ stage: 'embed' }))).json()).toEqual({ replayed: 0, skipped: 0, byTopic: {} });
  });

  it('serves Prometheus text with the API metrics', async () => {
    const res = await fetch(`${base}/metrics`, { headers: auth });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^era_api_documents_accepted_total\{lane="normal"\} 3$/m);
    expect(text).toMatch(/^era_api_documents_accepted_total\{lane="high"\} 1$/m);
    expect(text).toMatch(/^era_api_documents_rejected_total\{code="INVALID_MESSAGE"\} 1$/m);
    expect(text).toMatch(/^era_api_requests_total\{route="\/documents",method="POST",status="202"\} 2$/m);
    expect(text).toMatch(/^era_api_request_seconds_count\{route="\/search"\} \d+$/m);
    expect(text).toContain('era_process_cpu_seconds_total');
  });
});
