/**
 * NAIVE BASELINE — the same four stages written the obvious way, for the benchmark's ratios.
 * Not product code; never deployed.
 *
 *   node --import tsx bench/baselines/naive-stage.ts <chunk|embed|minister|store>
 *
 * Same environment, topics, consumer group names, pure transforms (chunkDocument, the
 * configured embedder, routeValue), codecs and database schema (HNSW index included) as
 * `era-ingest stage <name>`, so the only difference is the runtime design:
 * - kafkajs `eachMessage` with auto-commit (one message at a time, one partition at a time);
 * - one `producer.send` per output message, awaited;
 * - embed: one embedding request per chunk;
 * - store: one INSERT per chunk (autocommit), then a COUNT to see whether the document is
 *   complete, then one upsert of the documents row and one `era.stored` event;
 * - no batching, no pause/resume, no in-flight limits, no job tracking, no metrics server.
 */
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import pg from 'pg';
import { loadConfig } from '../../src/config/load.ts';
import { createEmbedder } from '../../src/embedding/create-embedder.ts';
import { PIPELINE, type StageName } from '../../src/dataflow/pipeline.ts';
import { headersToStrings } from '../../src/kafka/headers.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import { loadMinistersFile } from '../../src/stages/minister/ministers-file.ts';
import { buildProfiles } from '../../src/stages/minister/profiles.ts';
import { routeValue } from '../../src/stages/minister/route.ts';
import { toVectorText } from '../../src/storage/vector-text.ts';
import { chunksCodec, embeddingsCodec, ministersCodec, storedCodec } from '../../src/topics/codec-json.ts';
import { carriedHeaders, HEADERS } from '../../src/topics/headers.ts';
import type { RoutedChunk } from '../../src/topics/messages.ts';
import { topicNames } from '../../src/dataflow/topics.ts';
import { decodeRawDocument } from '../../src/topics/raw-document.ts';
import { settleConfig } from '../../src/embedding/dimension.ts';

const name = process.argv[2] as StageName;
if (!PIPELINE.has(name)) {
  process.stderr.write(`usage: naive-stage.ts <${PIPELINE.stageNames.join('|')}>\n`);
  process.exit(2);
}

const config = loadConfig(process.env);
const topics = topicNames(config.topicPrefix);
const kafka = new Kafka({ clientId: `naive-${name}`, brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `${config.groupPrefix}.${name}`, allowAutoTopicCreation: false });
const producer = kafka.producer({ allowAutoTopicCreation: false });
const log = (msg: string, extra: Record<string, unknown> = {}): void => void process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), stage: name, naive: true, ...extra, msg })}\n`);

/** Headers to carry to an output (era.published.at etc.). */
const headersOf = (headers: IHeaders | undefined): Record<string, string> => carriedHeaders(headersToStrings(headers));

type Handler = (message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders; timestamp: string }) => Promise<void>;

async function handler(): Promise<{ handle: Handler; close: () => Promise<void> }> {
  const send = (topic: string, key: string, value: Buffer, headers: Record<string, string>): Promise<unknown> =>
    producer.send({ topic, messages: [{ key, value, headers }] });
  switch (name) {
    case 'chunk':
      return {
        handle: async (m) => {
          const doc = decodeRawDocument(m.key, m.value);
          if (!doc) return;
          const headers = headersOf(m.headers);
          const version = Number(headers[HEADERS.publishedAt] ?? m.timestamp);
          for (const chunk of chunkDocument(doc, { version }, { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap })) {
            await send(topics.chunks, doc.id, chunksCodec.encode(chunk), headers);
          }
        },
        close: async () => {},
      };
    case 'embed': {
      const embedder = createEmbedder(await settleConfig(config));
      return {
        handle: async (m) => {
          const value = chunksCodec.decode(m.value!);
          if (value.kind !== 'chunk') return void (await send(topics.embeddings, value.docId, embeddingsCodec.encode(value), headersOf(m.headers)));
          const [embedding] = await embedder.embed([value.text]);
          await send(topics.embeddings, value.docId, embeddingsCodec.encode({ ...value, embedding: embedding!, model: embedder.model }), headersOf(m.headers));
        },
        close: async () => embedder.close?.(),
      };
    }
    case 'minister': {
      const embedder = createEmbedder(await settleConfig(config));
      const profiles = await buildProfiles(loadMinistersFile(config.ministersFile), embedder);
      await embedder.close?.();
      return {
        handle: async (m) => {
          const value = embeddingsCodec.decode(m.value!);
          await send(topics.ministers, value.docId, ministersCodec.encode(routeValue(value, profiles)), headersOf(m.headers));
        },
        close: async () => {},
      };
    }
    case 'store': {
      const db = new pg.Client({ connectionString: config.databaseUrl });
      await db.connect();
      return {
        handle: async (m) => {
          const value = ministersCodec.decode(m.value!);
          const headers = headersOf(m.headers);
          if (value.kind === 'delete') {
            await db.query('DELETE FROM chunks WHERE doc_id = $1', [value.docId]);
            await db.query('DELETE FROM documents WHERE doc_id = $1', [value.docId]);
            return void (await send(topics.stored, value.docId, storedCodec.encode({ id: value.docId, version: value.version, chunks: 0, storedAt: Date.now(), deleted: true }), headers));
          }
          const c: RoutedChunk = value;
          await db.query(
            `INSERT INTO chunks (chunk_id, doc_id, content_hash, doc_version, seq, text, token_count, heading_path, embedding, model, minister_id, category, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::text::vector, $10, $11, $12, now())
             ON CONFLICT (chunk_id) DO UPDATE SET doc_version = GREATEST(chunks.doc_version, excluded.doc_version), updated_at = now()`,
            [c.chunkId, c.docId, c.contentHash, c.version, c.seq, c.text, c.tokenCount, c.headingPath, toVectorText(c.embedding), c.model, c.ministerId, c.category ?? null]);
          const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE doc_id = $1 AND content_hash = $2', [c.docId, c.contentHash]);
          if (rows[0]!.n < c.count) return;
          await db.query(
            `INSERT INTO documents (doc_id, version, content_hash, title, source, minister_id, category, metadata, chunk_count, job_id, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, $10, now())
             ON CONFLICT (doc_id) DO UPDATE SET version = excluded.version, content_hash = excluded.content_hash, chunk_count = excluded.chunk_count, updated_at = now()
             WHERE documents.version < excluded.version`,
            [c.docId, c.version, c.contentHash, c.title ?? null, c.source ?? null, c.ministerId, c.category ?? null, c.metadata === undefined ? null : JSON.stringify(c.metadata), c.count, c.jobId ?? null]);
          await db.query('DELETE FROM chunks WHERE doc_id = $1 AND content_hash <> $2', [c.docId, c.contentHash]);
          await send(topics.stored, c.docId, storedCodec.encode({ id: c.docId, version: c.version, chunks: c.count, ...(c.jobId ? { jobId: c.jobId } : {}), storedAt: Date.now() }), headers);
        },
        close: () => db.end(),
      };
    }
    default:
      throw new Error(`the naive baseline has no stage ${name as string}`);
  }
}

const { handle, close } = await handler();
await producer.connect();
await consumer.connect();
consumer.on(consumer.events.GROUP_JOIN, () => log(`naive stage ${name} started`));
await consumer.subscribe({ topics: PIPELINE.inputTopics(PIPELINE.stage(name), config.topicPrefix), fromBeginning: true });
await consumer.run({ eachMessage: async ({ message }) => handle(message) });

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) process.exit(130);
  stopping = true;
  log(`naive stage ${name} stopping`);
  await consumer.disconnect().catch(() => undefined);
  await producer.disconnect().catch(() => undefined);
  await close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
