import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../config/schema.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { topicSpecs } from '../dataflow/topics.ts';
import { readDocuments, parseJsonDocument, type FileItem } from '../documents/files.ts';
import { topicSettings } from '../kafka/admin.ts';
import { createKafka } from '../kafka/client.ts';
import { connectPublisher } from '../kafka/publisher.ts';
import { recordJob, recordPhases, FAILED_PHASE } from '../storage/jobs.ts';
import { prepareStore } from '../storage/prepare-store.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { streamTopics } from '../topics/names.ts';
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
  // The source stream's lanes: [priority, normal].
  const lanes = streamTopics(config.topicPrefix, PIPELINE.source);
  const topic = priority ? lanes[0]! : lanes.at(-1)!;
  const publisher = await connectPublisher(createKafka(config, undefined, 'publish'), { ensure: { specs: topicSpecs(config.topicPrefix), settings: topicSettings(config) } });
  const started = performance.now();
  const failures: PublishSummary['failures'] = [];
  const bar = progress ? new SingleBar({ format: ' publishing {bar} {value} documents | {failures} rejected', hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(0, 0, { failures: 0 });
  let published = 0;
  let batch: ReturnType<typeof rawRecord>[] = [];
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    await publisher.send(topic, batch);
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
    await publisher.close();
  }
  if (config.databaseUrl) {
    const client = createPgClient(config.databaseUrl, { max: 1 });
    try {
      await prepareStore(client, config, { verify: false });
      await recordJob(client, { jobId, docCount: published, priority });
      await recordPhases(client, failures.map((f) => ({ jobId, docId: f.origin, phase: FAILED_PHASE, stage: 'publish', errorCode: 'INVALID_INPUT', errorMessage: f.reason })), PIPELINE.phases);
    } finally {
      await client.close();
    }
  }
  return { jobId, topic, published, failures, seconds: (performance.now() - started) / 1000 };
}
