/**
 * Adding a stage is one change: the test-only `audit` stage (test/helpers/audited-dataflow.ts)
 * is declared once and both runners run it — each stage as its own Kafka service (own topic,
 * own group, job phases recorded) and all stages in one process over Node streams — with no
 * other code knowing about it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { retryPolicyFor } from '../../../src/config/presets.ts';
import { createResources } from '../../../src/dataflow/resources.ts';
import { topicNames, topicSpecs } from '../../../src/dataflow/topics.ts';
import { runInProcess, type Envelope } from '../../../src/in-process/runner.ts';
import { topicSettings } from '../../../src/kafka/admin.ts';
import { connectPublisher } from '../../../src/kafka/publisher.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { runStageService } from '../../../src/service/run-stage-service.ts';
import { chunkDocument } from '../../../src/stages/chunk/transform.ts';
import { migrate, schemaSettings } from '../../../src/storage/migrate.ts';
import { createPgliteClient } from '../../../src/storage/pglite-client.ts';
import type { Messages, RawDocument, StoredEvent } from '../../../src/topics/messages.ts';
import { rawRecord } from '../../../src/topics/raw-record.ts';
import { auditedDataflow } from '../../helpers/audited-dataflow.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { uniqueName } from '../../helpers/names.ts';
import { testConfig } from '../../helpers/runner.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { settleConfig } from '../../../src/embedding/dimension.ts';

const docs: RawDocument[] = Array.from({ length: 12 }, (_, i) => ({
  id: `doc-${i}`,
  text: `# Report ${i}\n\n${'The ministry reviewed the budget and the hospital waiting lists in detail. '.repeat(6 + i)}`,
}));

describe('a stage added to the declaration', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('runs in the Kafka runner as its own service: its topic, its group, its job phase, every document complete', async () => {
    const counter = { seen: 0 };
    const flow = auditedDataflow(counter);
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const config = testConfig({ DATABASE_URL: db.url, EMBEDDER: 'hash', EMBED_DIM: '64', METRICS_PORT: '0', CHUNK_TOKENS: '64', CHUNK_OVERLAP: '8', FLOW_SAMPLE_MS: '500', COMMIT_INTERVAL_MS: '100' });
    const chunker = { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap };
    const expectedChunks = docs.reduce((n, d) => n + chunkDocument(d, { version: 1 }, chunker).length, 0);
    const kit = new KafkaTestKit();
    kit.track(...topicSpecs(config.topicPrefix, flow).map((t) => t.topic));
    cleanups.push(() => kit.cleanup());
    const logger = createLogger('silent');
    const abort = new AbortController();
    const services = flow.stageNames.map((name) => runStageService({ name, config, flow, signal: abort.signal, logger }));
    cleanups.push(async () => {
      abort.abort();
      await Promise.all(services);
    });

    const topics = topicNames(config.topicPrefix, flow);
    const publisher = await connectPublisher(kit.kafka, { ensure: { specs: topicSpecs(config.topicPrefix, flow), settings: topicSettings(config) } });
    const jobId = uniqueName('job');
    await publisher.send(topics.raw, docs.map((d) => rawRecord(d, { jobId, nowMs: Date.now() })));
    await publisher.close();

    const sql = new pg.Pool({ connectionString: db.url, max: 1 });
    cleanups.push(() => sql.end());
    await waitFor(async () => {
      const { rows } = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM job_documents WHERE job_id = $1 AND phase = 'complete'", [jobId]).catch(() => ({ rows: [{ n: 0 }] }));
      return rows[0]!.n === docs.length;
    }, { timeoutMs: 90_000, what: `all ${docs.length} documents of the job complete` });

    expect(topics.audited).toBe(`${config.topicPrefix}.audited`);
    expect(await kit.count(topics.audited)).toBe(expectedChunks);
    expect(counter.seen).toBe(expectedChunks);
    const { rows: [stored] } = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks');
    expect(stored!.n).toBe(expectedChunks);
    await kit.waitForCommittedToEnd(`${config.groupPrefix}.audit`, topics.ministers);
    await kit.waitForCommittedToEnd(`${config.groupPrefix}.store`, topics.audited);

    abort.abort();
    expect(await Promise.all(services)).toEqual(flow.stageNames.map(() => 0));
  });

  it('runs in the in-process runner with the same transforms: every chunk passes the added stage and is stored', async () => {
    const counter = { seen: 0 };
    const flow = auditedDataflow(counter);
    const dir = mkdtempSync(join(tmpdir(), 'era-added-stage-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const config = await settleConfig(testConfig({ EMBEDDER: 'hash', EMBED_DIM: '64', CHUNK_TOKENS: '64', CHUNK_OVERLAP: '8' }));
    const client = await createPgliteClient({ dataDir: dir });
    cleanups.push(() => client.close());
    await migrate(client, schemaSettings(config));
    const resources = createResources(config, { openDatabase: async () => client, ownsDatabase: false });
    cleanups.push(() => resources.close());
    const chunker = { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap };
    const expectedChunks = docs.reduce((n, d) => n + chunkDocument(d, { version: 1 }, chunker).length, 0);
    const events: StoredEvent[] = [];
    const source: Array<Envelope<Messages['raw']>> = docs.map((doc) => ({ value: { docId: doc.id, doc, version: 1 }, origin: doc.id }));
    await runInProcess(source, {
      flow,
      context: { config, resources, observer: {}, now: Date.now },
      retryPolicy: retryPolicyFor({ profile: 'local', retryDeadlineMs: undefined }),
      deadLetters: async (letters) => { throw new Error(`unexpected dead letters: ${letters.map((l) => l.error.message).join('; ')}`); },
      dlqLimit: { maxRatio: 0.5, window: 100 },
      onOutcome: (stage, outcome) => {
        if (flow.isLast(stage)) events.push(...(outcome.outputs as StoredEvent[]));
      },
    });
    expect(counter.seen).toBe(expectedChunks);
    expect(events.map((e) => e.id).sort()).toEqual(docs.map((d) => d.id).sort());
    const { rows: [row] } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks');
    expect(Number(row!.n)).toBe(expectedChunks);
  });
});
