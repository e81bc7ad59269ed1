import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../config/schema.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { topicSpecs } from '../dataflow/topics.ts';
import { countFiles, readDocuments, parseJsonDocument, readOptionsFrom, type FileItem } from '../documents/files.ts';
import type { FileReport } from '../documents/problems.ts';
import { SyncTracker } from '../documents/sync.ts';
import { topicSettings } from '../kafka/admin.ts';
import { createKafka } from '../kafka/client.ts';
import { connectPublisher, type Publisher } from '../kafka/publisher.ts';
import { latestRawSources } from '../kafka/raw-sources.ts';
import { recordJob, recordPhases, FAILED_PHASE } from '../storage/jobs.ts';
import { prepareStore } from '../storage/prepare-store.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { codecFor } from '../topics/codec-async.ts';
import { streamTopics } from '../topics/names.ts';
import { rawRecord, tombstoneRecord } from '../topics/raw-record.ts';
import { rawLimits, type RawLimits } from '../topics/raw-document.ts';
import { expectedDocuments } from './run-progress.ts';

export interface PublishSummary {
  jobId: string;
  topic: string;
  published: number;
  /** Files not read because they are not for us (exit 1 only with --strict). */
  skipped: FileReport[];
  /** Inputs that could not be published (exit 1). */
  failures: Array<{ origin: string; reason: string; code?: string }>;
  /** Tombstones published by --sync (to era.raw), with the source whose file is gone. */
  deleted: Array<{ id: string; source?: string }>;
  seconds: number;
}

export interface PublishOptions {
  jobId?: string;
  priority: boolean;
  progress: boolean;
  /** `--id-prefix`. */
  idPrefix?: string;
  /**
   * `--sync`: after publishing, publish tombstones to era.raw for the documents of these roots
   * whose files are gone, found in era.raw itself (its latest record per key).
   */
  sync?: boolean;
}

async function* stdinDocuments(limits: RawLimits): AsyncGenerator<FileItem> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    if (Buffer.byteLength(line) > limits.maxBytes) {
      yield { kind: 'failure', origin: `stdin:${n}`, code: 'TOO_LARGE', reason: `line is ${Buffer.byteLength(line)} bytes, over the limit of ${limits.maxBytes} bytes (MAX_DOCUMENT_BYTES)` };
      continue;
    }
    yield parseJsonDocument(line, `stdin:${n}`, limits);
  }
}

/** Publishes documents from files or stdin; records the job when DATABASE_URL is set. */
export async function publishCommand(paths: string[], config: Config, { jobId = `job-${randomUUID()}`, priority, progress, idPrefix, sync }: PublishOptions): Promise<PublishSummary> {
  const limits: RawLimits = rawLimits(config);
  // The source stream's lanes: [priority, normal].
  const lanes = streamTopics(config.topicPrefix, PIPELINE.source);
  const topic = priority ? lanes[0]! : lanes.at(-1)!;
  const publisher = await connectPublisher(createKafka(config, undefined, 'publish'), { ensure: { specs: topicSpecs(config.topicPrefix), settings: topicSettings(config) } });
  const started = performance.now();
  const failures: PublishSummary['failures'] = [];
  const skipped: PublishSummary['skipped'] = [];
  let deleted: PublishSummary['deleted'] = [];
  const stdin = paths.length === 1 && paths[0] === '-';
  const tracker = sync && !stdin ? new SyncTracker() : undefined;
  // Published out of the documents to read, as `run` draws it (./run-progress.ts); from stdin the total is what was read so far.
  const bar = progress ? new SingleBar({ format: ' publishing {bar} {value}/{total} documents | {failures} rejected', hideCursor: true, emptyOnZero: true }, Presets.shades_classic) : undefined;
  const files = bar && !stdin ? await countFiles(paths) : 0;
  let filesBegun = 0;
  let documentsRead = 0;
  bar?.start(files, 0, { failures: 0 });
  let published = 0;
  let batch: ReturnType<typeof rawRecord>[] = [];
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    await publisher.send(topic, batch);
    published += batch.length;
    batch = [];
    bar?.setTotal(stdin ? documentsRead : expectedDocuments({ files, filesBegun, documentsRead }));
    bar?.update(published, { failures: failures.length });
  };
  try {
    const items = stdin ? stdinDocuments(limits) : readDocuments(paths, { ...readOptionsFrom(config, idPrefix), onRoot: (root) => tracker?.addRoot(root), onFile: () => (filesBegun += 1) });
    for await (const item of items) {
      tracker?.note(item);
      if (item.kind !== 'document') {
        (item.kind === 'skipped' ? skipped : failures).push({ origin: item.origin, code: item.code, reason: item.reason });
        continue;
      }
      documentsRead += 1;
      batch.push(rawRecord(item.doc, { jobId, nowMs: Date.now() }));
      if (batch.length >= 500) await flush();
    }
    await flush();
    if (tracker) deleted = await publishDeletions(config, publisher, tracker, lanes.at(-1)!, jobId);
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
  return { jobId, topic, published, skipped, failures, deleted, seconds: (performance.now() - started) / 1000 };
}

/**
 * --sync in Kafka mode: tombstones on era.raw for the documents of the tracker's roots that it
 * holds (latest record per key) and no file gave now. A tombstone deletes the document in every
 * stage and the store, as any producer's would; era.raw's compaction then drops the document.
 */
async function publishDeletions(config: Config, publisher: Publisher, tracker: SyncTracker, rawTopic: string, jobId: string): Promise<PublishSummary['deleted']> {
  if (tracker.roots.length === 0) return [];
  const codec = await codecFor('raw', rawTopic, config);
  const latest = await latestRawSources(createKafka(config, undefined, 'publish-sync'), rawTopic, codec);
  const current = [...latest].flatMap(([id, v]) => (v === 'deleted' ? [] : [{ id, source: v.source }]));
  const gone = tracker.stale(current);
  const nowMs = Date.now();
  await publisher.send(rawTopic, gone.map((d) => tombstoneRecord(d.id, { jobId, nowMs })));
  return gone.map((d) => ({ id: d.id, ...(d.source ? { source: d.source } : {}) }));
}

/** `era-ingest delete <ids…>` in Kafka mode: a tombstone per id on era.raw. */
export async function publishTombstones(ids: readonly string[], config: Config, jobId = `job-${randomUUID()}`): Promise<{ jobId: string; topic: string; published: number }> {
  const topic = streamTopics(config.topicPrefix, PIPELINE.source).at(-1)!;
  const publisher = await connectPublisher(createKafka(config, undefined, 'delete'), { ensure: { specs: topicSpecs(config.topicPrefix), settings: topicSettings(config) } });
  try {
    const nowMs = Date.now();
    const unique = [...new Set(ids)];
    await publisher.send(topic, unique.map((id) => tombstoneRecord(id, { jobId, nowMs })));
    return { jobId, topic, published: unique.length };
  } finally {
    await publisher.close();
  }
}
