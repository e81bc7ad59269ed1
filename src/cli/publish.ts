import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../config/schema.ts';
import { readDocuments, parseJsonDocument, type FileItem } from '../embedded/files.ts';
import { createKafka } from '../runtime/kafka-client.ts';
import { recordJob, recordPhases } from '../storage/jobs.ts';
import { migrate, schemaSettings } from '../storage/migrate.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { ensureTopics, topicOptions } from '../topics/admin.ts';
import { topicNames } from '../topics/names.ts';
import { rawRecord } from '../topics/raw-record.ts';
import { rawLimits, type RawLimits } from '../topics/raw-document.ts';

export interface PublishSummary {
  jobId: string;
  topic: string;
  published: number;
  failures: Array<{ origin: string; reason: string }>;
  seconds: number;
}

async function* stdinDocuments(limits: RawLimits): AsyncGenerator<FileItem> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    if (Buffer.byteLength(line) > limits.maxBytes) {
      yield { kind: 'failure', origin: `stdin:${n}`, reason: `line is ${Buffer.byteLength(line)} bytes, over the limit of ${limits.maxBytes} bytes (MAX_DOCUMENT_BYTES)` };
      continue;
    }
    yield parseJsonDocument(line, `stdin:${n}`, limits);
  }
}

/** Publishes documents from files or stdin; records the job when DATABASE_URL is set. */
export async function publishCommand(paths: string[], config: Config, { jobId = `job-${randomUUID()}`, priority, progress }: { jobId?: string; priority: boolean; progress: boolean }): Promise<PublishSummary> {
  const limits: RawLimits = rawLimits(config);
  const topics = topicNames(config.topicPrefix);
  const topic = priority ? topics.rawPriority : topics.raw;
  const kafka = createKafka(config, undefined, 'publish');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topicOptions(config));
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  const failures: PublishSummary['failures'] = [];
  const bar = progress ? new SingleBar({ format: ' publishing {bar} {value} documents | {failures} rejected', hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(0, 0, { failures: 0 });
  let published = 0;
  let batch: ReturnType<typeof rawRecord>[] = [];
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    await producer.send({ topic, acks: -1, messages: batch });
    published += batch.length;
    batch = [];
    bar?.setTotal(published);
    bar?.update(published, { failures: failures.length });
  };
  try {
    const items = paths.length === 1 && paths[0] === '-' ? stdinDocuments(limits) : readDocuments(paths, limits);
    for await (const item of items) {
      if (item.kind === 'failure') {
        failures.push({ origin: item.origin, reason: item.reason });
        continue;
      }
      batch.push(rawRecord(item.doc, { jobId, nowMs: Date.now() }));
      if (batch.length >= 500) await flush();
    }
    await flush();
  } finally {
    bar?.stop();
    await producer.disconnect();
  }
  if (config.databaseUrl) {
    const client = createPgClient(config.databaseUrl, { max: 1 });
    try {
      await migrate(client, schemaSettings(config));
      await recordJob(client, { jobId, docCount: published, priority });
      await recordPhases(client, failures.map((f) => ({ jobId, docId: f.origin, phase: 'failed', stage: 'publish', errorCode: 'INVALID_INPUT', errorMessage: f.reason })));
    } finally {
      await client.close();
    }
  }
  return { jobId, topic, published, failures, seconds: (performance.now() - started) / 1000 };
}
