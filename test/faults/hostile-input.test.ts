/**
 * Hostile input through every entry point: the raw topic (any producer), `era-ingest publish`,
 * the HTTP API and the embedded run. Invalid UTF-8, NUL bytes, a 50 MB document, deeply nested
 * metadata, `__proto__` / `constructor` keys, SQL-like strings in every field, a 10,000-character
 * key, control characters in titles. Nothing crashes, nothing is half-stored, and every input
 * gets its documented answer (DLQ code, exit code, HTTP status).
 */
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSpecs } from '../../src/dataflow/topics.ts';
import { connectPublisher, type Publisher } from '../../src/kafka/publisher.ts';
import { createApiServer, type ApiServer } from '../../src/api/server.ts';
import { kafkaDeadLetters, kafkaDocumentSink } from '../../src/api/kafka-ports.ts';
import { createHashEmbedder } from '../../src/embedding/hash-embedder.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { createPgClient, type PgClient } from '../../src/storage/pg-client.ts';
import { CHUNKER, expectStagesRunning, halfStored, running } from '../helpers/fault-checks.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { startProcess } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';

const MAX_DOC = 1024 * 1024; // MAX_DOCUMENT_BYTES for this pipeline: 1 MiB (topics take 2 MiB)
const BIG = 50 * 1024 * 1024;
const SQL = `'); DROP TABLE documents; --`;
const SQL2 = `" OR 1=1; DELETE FROM chunks WHERE ''='`;
const LONG_KEY = 'k'.repeat(10_000);
const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x69, 0x64, 0xff, 0xfe, 0xc3, 0x28, 0x7d]); // {"id\xff\xfe\xc3(}

/** Nested `{ "a": { "a": … } }` as JSON text, `levels` deep (no recursion in the test either). */
const nested = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const withDeepMetadata = (id: string, levels: number): string => `{"id":${JSON.stringify(id)},"text":"deep metadata","metadata":${nested(levels)}}`;

const protoDoc = (id: string) => `{"id":${JSON.stringify(id)},"text":"Prototype keys are data.","metadata":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":{"x":1}}}}`;
const sqlDoc = (id: string) => ({ id, text: `Budget ${SQL} ${SQL2} report.`, title: SQL, source: SQL2, category: SQL, metadata: { [SQL]: SQL2, note: SQL }, jobId: `job-${SQL}` });
const ctrlDoc = (id: string) => ({ id, text: 'Controls in the title.', title: 'Bell\u0007 Esc\u001b[31m Red\u0000 Nul\u007f Del\ttab' });
const nulDoc = (id: string) => ({ id, text: 'Before\u0000after NUL bytes\u0000 in the text.', title: 'NUL' });

/** The pretty-printed `--json` summary among the process output (logs are one-line JSON). */
function parseSummary(output: string): any {
  const start = output.indexOf('{\n');
  return JSON.parse(output.slice(start, output.indexOf('\n}', start) + 2));
}

interface DlqEntry { code: string; stage: string; key: Buffer | null }

describe('hostile input through every entry point', () => {
  let p: TestPipeline;
  let dir: string;
  const dlq = new Map<string, DlqEntry>(); // by hex key
  let dlqSeen = 0;

  beforeAll(async () => {
    p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens, extraEnv: { MAX_DOCUMENT_BYTES: String(MAX_DOC) } });
    dir = mkdtempSync(join(tmpdir(), 'era-hostile-'));
    const consumer = p.kit.kafka.consumer({ groupId: `dlq-reader-${p.prefix}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: p.topics.dlq, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        dlqSeen++;
        const h = (name: string) => message.headers?.[name]?.toString() ?? '';
        dlq.set((message.key ?? Buffer.alloc(0)).toString('hex'), { code: h('era.dlq.error.code'), stage: h('era.dlq.stage'), key: message.key });
      },
    });
    afterCleanup.push(() => consumer.disconnect());
  }, 240_000);

  const afterCleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of afterCleanup) await c().catch(() => undefined);
    const outputs = [...p.stages].map(([n, s]) => `${n}: ${s.output().slice(-1500)}`).join('\n----\n');
    const codes = await p.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(codes, outputs).toEqual({ store: 0, minister: 0, embed: 0, chunk: 0 });
  }, 120_000);

  const hex = (key: string | Buffer) => (typeof key === 'string' ? Buffer.from(key) : key).toString('hex');
  const dlqCode = (key: string | Buffer) => waitFor(() => dlq.get(hex(key))?.code, { timeoutMs: 60_000, what: `a DLQ record for ${String(key).slice(0, 40)}` });
  const storedDoc = (id: string) => waitFor(async () => (await p.sql.query('SELECT doc_id, title, source, category, metadata, job_id, chunk_count FROM documents WHERE doc_id = $1', [id])).rows[0], { timeoutMs: 60_000, intervalMs: 200, what: `document ${id.slice(0, 40)} stored` });

  it('raw topic: every hostile record is dead-lettered with its code or stored whole; the stages keep running', async () => {
    const id = (s: string) => `raw-${s}`;
    await p.kit.produce(p.topics.raw, [
      { key: id('bad-utf8'), value: INVALID_UTF8 },
      { key: Buffer.from([0x72, 0xff, 0xfe]), value: Buffer.from('{"id":"x","text":"key is not UTF-8"}') },
      { key: id('nul'), value: Buffer.from(JSON.stringify(nulDoc(id('nul')))) },
      { key: id('too-large'), value: Buffer.from(JSON.stringify({ id: id('too-large'), text: 'x'.repeat(MAX_DOC + 1000) })) }, // over MAX_DOCUMENT_BYTES, under the topic limit
      { key: id('deep'), value: Buffer.from(withDeepMetadata(id('deep'), 10_000)) },
      { key: id('proto'), value: Buffer.from(protoDoc(id('proto'))) },
      { key: id(SQL), value: Buffer.from(JSON.stringify(sqlDoc(id(SQL)))) },
      { key: LONG_KEY, value: Buffer.from(JSON.stringify({ id: LONG_KEY, text: 'a very long key' })) },
      { key: id('ctrl'), value: Buffer.from(JSON.stringify(ctrlDoc(id('ctrl')))) },
      { key: id('bad-minister'), value: Buffer.from(JSON.stringify({ id: id('bad-minister'), text: 'x', minister: SQL })) },
      { key: id('nul-only'), value: Buffer.from(JSON.stringify({ id: id('nul-only'), text: '\u0000\u0000' })) },
    ]);
    // A 50 MB record: the broker refuses it (topic max.message.bytes = MAX_DOCUMENT_BYTES + 1 MiB), with a clear error.
    const big = await p.kit.produce(p.topics.raw, [{ key: id('50mb'), value: Buffer.alloc(BIG, 0x61) }]).then(() => 'accepted', (e: Error) => e.message);
    expect(big).toMatch(/larger than the max message size|too large/i);
    console.log(`[faults/hostile] 50 MB record on the raw topic: ${big}`);

    expect(await dlqCode(id('bad-utf8'))).toBe('UNDECODABLE');
    expect(await dlqCode(Buffer.from([0x72, 0xff, 0xfe]))).toBe('UNDECODABLE');
    expect(await dlqCode(id('too-large'))).toBe('MESSAGE_TOO_LARGE');
    expect(await dlqCode(id('deep'))).toBe('INVALID_MESSAGE');
    expect(await dlqCode(LONG_KEY)).toBe('INVALID_MESSAGE');
    expect(await dlqCode(id('bad-minister'))).toBe('INVALID_MESSAGE');
    expect(await dlqCode(id('nul-only'))).toBe('EMPTY_DOCUMENT');
    for (const e of dlq.values()) expect(e.stage).toBe('chunk');
    console.log(`[faults/hostile] raw topic DLQ codes: ${JSON.stringify([...dlq.values()].map((e) => [(e.key?.toString('utf8') ?? '').slice(0, 24), e.code]))}`);

    const nul = await storedDoc(id('nul'));
    const { rows: nulChunks } = await p.sql.query('SELECT text FROM chunks WHERE doc_id = $1', [id('nul')]);
    expect(nulChunks.map((r) => r.text).join(' ')).toContain('Beforeafter NUL bytes in the text.');
    expect(nul.chunk_count).toBe(nulChunks.length);
    const proto = await storedDoc(id('proto'));
    expect(Object.keys(proto.metadata).sort()).toEqual(['__proto__', 'constructor', 'nested']);
    expect(Object.getPrototypeOf(proto.metadata)).toBe(Object.prototype); // `__proto__` came back as data, not as a prototype
    const { rows: [rawMeta] } = await p.sql.query(`SELECT metadata->'__proto__'->>'polluted' AS polluted, metadata->'constructor'->'prototype'->>'polluted' AS c FROM documents WHERE doc_id = $1`, [id('proto')]);
    expect(rawMeta).toEqual({ polluted: 'true', c: 'true' });
    const sql = await storedDoc(id(SQL));
    expect(sql).toMatchObject({ doc_id: id(SQL), title: SQL, source: SQL2, category: SQL, job_id: `job-${SQL}` });
    expect(sql.metadata).toEqual({ [SQL]: SQL2, note: SQL });
    const ctrl = await storedDoc(id('ctrl'));
    expect(ctrl.title).toBe('Bell Esc[31m Red Nul Del\ttab');
    const { rows: [tables] } = await p.sql.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('documents', 'chunks')`);
    expect(tables.n).toBe(2);

    expect(await halfStored(p)).toEqual([]);
    expectStagesRunning(p);
  });

  it('CLI publish: invalid files are reported (exit 1), the valid hostile ones are published and stored', async () => {
    const d = join(dir, 'publish');
    mkdirSync(d);
    writeFileSync(join(d, 'bad-utf8.txt'), Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    writeFileSync(join(d, 'nul.txt'), Buffer.from('text with a NUL \u0000 byte'));
    writeFileSync(join(d, 'huge.md'), Buffer.alloc(BIG, 0x61));
    writeFileSync(join(d, 'deep.json'), withDeepMetadata('cli-deep', 10_000));
    writeFileSync(join(d, 'proto.json'), protoDoc('cli-proto'));
    writeFileSync(join(d, 'sql.json'), JSON.stringify(sqlDoc(`cli-${SQL}`)));
    writeFileSync(join(d, 'long.json'), JSON.stringify({ id: LONG_KEY.replace(/^k/, 'c'), text: 'long id' }));
    writeFileSync(join(d, 'ctrl.jsonl'), `${JSON.stringify(ctrlDoc('cli-ctrl'))}\n${JSON.stringify(nulDoc('cli-nul'))}\n{"id": "cli-broken", "te\n`);
    const { code, output } = await p.cli(['publish', d, '--json', '--job', 'job-hostile-cli'], {}, 120_000);
    expect(code, output).toBe(1);
    const summary = parseSummary(output) as { published: number; failures: Array<{ origin: string; reason: string }> };
    const failed = new Map(summary.failures.map((f) => [f.origin.split('/').pop()!, f.reason]));
    expect([...failed.keys()].sort()).toEqual(['bad-utf8.txt', 'ctrl.jsonl:3', 'deep.json', 'huge.md', 'long.json', 'nul.txt'].sort());
    expect(failed.get('huge.md')).toMatch(/over the limit of 1048576 bytes \(MAX_DOCUMENT_BYTES\)/);
    expect(failed.get('bad-utf8.txt')).toMatch(/UTF-8/);
    expect(failed.get('nul.txt')).toMatch(/NUL/);
    expect(failed.get('deep.json')).toMatch(/nested deeper/);
    expect(failed.get('long.json')).toMatch(/over the limit of 1024/);
    expect(summary.published).toBe(4);
    console.log(`[faults/hostile] CLI publish exit ${code}: ${JSON.stringify(summary.failures.map((f) => [f.origin.split('/').pop(), f.reason.slice(0, 90)]))}`);
    expect((await storedDoc('cli-proto')).metadata).toHaveProperty('constructor');
    expect((await storedDoc(`cli-${SQL}`)).title).toBe(SQL);
    expect((await storedDoc('cli-ctrl')).title).toBe('Bell Esc[31m Red Nul Del\ttab');
    await storedDoc('cli-nul');
    expect(await halfStored(p)).toEqual([]);
    expectStagesRunning(p);
  });

  it('HTTP API: each hostile request gets its documented status; accepted ones are stored whole', async () => {
    const db: PgClient = createPgClient(p.dbUrl, { max: 2 });
    const publisher: Publisher = await connectPublisher(p.kit.kafka, { ensure: { specs: topicSpecs(p.prefix), settings: { partitions: 3, replicationFactor: 1, maxMessageBytes: MAX_DOC + 1024 * 1024 } } });
    const limits = { maxBytes: MAX_DOC, maxIdBytes: 1024, maxMetadataDepth: 32 };
    const api: ApiServer = createApiServer({ sink: kafkaDocumentSink(publisher, p.prefix), deadLetters: kafkaDeadLetters(p.kit.kafka, p.prefix, `${p.prefix}.dlq-replay`), db, embedder: createHashEmbedder({ dimension: 64 }), registry: createMetrics().registry }, { limits });
    const base = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
    const post = async (body: string | Buffer, type = 'application/json') => {
      const res = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': type }, body });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as { error?: string; code?: string; invalid?: Array<{ code: string }> } };
    };
    try {
      const badUtf8 = await post(INVALID_UTF8);
      expect(badUtf8.status).toBe(400);
      console.log(`[faults/hostile] HTTP invalid UTF-8: ${badUtf8.status} ${JSON.stringify(badUtf8.body)}`);
      expect((await post(Buffer.from('{"id":"x","text":"nul"}'), 'text/plain')).status).toBe(415);
      const big = Buffer.alloc(BIG, 0x20);
      const tooBig = await post(big);
      expect(tooBig.status).toBe(413);
      console.log(`[faults/hostile] HTTP 50 MB body: ${tooBig.status} ${JSON.stringify(tooBig.body)}`);
      expect(JSON.stringify(tooBig.body)).toMatch(/API_MAX_BODY_BYTES/);
      // Under the body limit (MAX_DOCUMENT_BYTES + 1 MiB) but over the document limit: 400, code MESSAGE_TOO_LARGE.
      const overDoc = await post(JSON.stringify({ id: 'api-big', text: 'x'.repeat(MAX_DOC + 10) }));
      expect(overDoc.status).toBe(400);
      expect(overDoc.body.invalid?.[0]?.code).toBe('MESSAGE_TOO_LARGE');
      expect((await post(withDeepMetadata('api-deep', 40))).status).toBe(400);
      expect((await post(withDeepMetadata('api-deeper', 100_000))).status).toBe(400);
      expect((await post(JSON.stringify({ id: LONG_KEY, text: 'long id' }))).status).toBe(400);
      expect((await post(JSON.stringify({ id: 'api-bad-minister', text: 'x', minister: SQL }))).status).toBe(400);
      for (const body of [protoDoc('api-proto'), JSON.stringify(sqlDoc(`api-${SQL}`)), JSON.stringify(ctrlDoc('api-ctrl')), JSON.stringify(nulDoc('api-nul'))]) {
        const res = await post(body);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
      }
      expect((await storedDoc('api-proto')).metadata).toHaveProperty('__proto__');
      expect((await storedDoc(`api-${SQL}`)).category).toBe(SQL);
      expect((await storedDoc('api-ctrl')).title).toBe('Bell Esc[31m Red Nul Del\ttab');
      await storedDoc('api-nul');
      expect(await halfStored(p)).toEqual([]);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      // Nothing rejected reached the topic.
      const { rows } = await p.sql.query(`SELECT doc_id FROM documents WHERE doc_id LIKE 'api-%'`);
      expect(rows.map((r) => r.doc_id).sort()).toEqual(['api-ctrl', 'api-nul', 'api-proto', `api-${SQL}`].sort());
      expectStagesRunning(p);
    } finally {
      await api.close();
      await publisher.close();
      await db.close();
    }
  });

  it('embedded run: bad files are reported (exit 1), the hostile but valid ones stored whole', async () => {
    const d = join(dir, 'run');
    mkdirSync(d);
    writeFileSync(join(d, 'bad-utf8.md'), Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    writeFileSync(join(d, 'huge.txt'), Buffer.alloc(BIG, 0x61));
    writeFileSync(join(d, 'deep.json'), withDeepMetadata('run-deep', 10_000));
    writeFileSync(join(d, 'proto.json'), protoDoc('run-proto'));
    writeFileSync(join(d, 'sql.json'), JSON.stringify(sqlDoc(`run-${SQL}`)));
    writeFileSync(join(d, 'long.json'), JSON.stringify({ id: LONG_KEY.replace(/^k/, 'r'), text: 'long id' }));
    writeFileSync(join(d, 'docs.jsonl'), `${JSON.stringify(ctrlDoc('run-ctrl'))}\n${JSON.stringify(nulDoc('run-nul'))}\n`);
    const db = await createTestDatabase();
    try {
      const proc = startProcess('src/cli/main.ts', ['run', d, '--db', db.url, '--json', '--no-progress'], { MAX_DOCUMENT_BYTES: String(MAX_DOC), EMBEDDER: 'hash', EMBED_DIM: '64', LOG_LEVEL: 'warn', CHUNK_TOKENS: String(CHUNKER.maxTokens), CHUNK_OVERLAP: String(CHUNKER.overlapTokens) });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
      const code = await proc.exited;
      clearTimeout(timer);
      const output = proc.output();
      expect(code, output).toBe(1); // files failed (README: run's exit code)
      const summary = parseSummary(output) as { documents: number; failures: Array<{ origin: string; reason: string }> };
      const failed = new Map(summary.failures.map((f) => [f.origin.split('/').pop()!, f.reason]));
      expect([...failed.keys()].sort(), output).toEqual(['bad-utf8.md', 'deep.json', 'huge.txt', 'long.json'].sort());
      expect(failed.get('huge.txt')).toMatch(/MAX_DOCUMENT_BYTES/);
      expect(summary.documents).toBe(4);
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      try {
        const { rows } = await sql.query('SELECT doc_id, title, metadata FROM documents ORDER BY doc_id');
        expect(rows.map((r) => r.doc_id).sort()).toEqual(['run-ctrl', 'run-nul', 'run-proto', `run-${SQL}`].sort());
        expect(rows.find((r) => r.doc_id === 'run-ctrl')!.title).toBe('Bell Esc[31m Red Nul Del\ttab');
        expect(Object.keys(rows.find((r) => r.doc_id === 'run-proto')!.metadata).sort()).toEqual(['__proto__', 'constructor', 'nested']);
        expect(await halfStored({ sql: sql as unknown as TestPipeline['sql'] })).toEqual([]);
      } finally {
        await sql.end();
      }
    } finally {
      await db.drop();
    }
    for (const name of PIPELINE.stageNames) expect(running(p.stages.get(name))).toBe(true);
  });
});
