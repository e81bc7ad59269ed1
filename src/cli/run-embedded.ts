/**
 * `era-ingest run` and `era-ingest delete --data-dir|--db`: files and folders (or deletions)
 * through the in-process runner into the embedded store (PGlite, or PostgreSQL with --db), with
 * a progress bar (./run-progress.ts) and a summary; the job is recorded in the store as the
 * stage services record theirs (`era-ingest status`). Files that are skipped or fail are
 * reported (src/documents/); what a stage rejects is recorded in the store's dead_letters table
 * and reported; a dependency that stays down past RETRY_DEADLINE_MS (default 5 minutes here)
 * stops the run, with what was stored until then reported. `--sync` deletes, after every file
 * was read, the stored documents of the roots whose files are gone (src/documents/sync.ts), as
 * tombstones through the same stages and the same store path as any deletion.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { retryPolicyFor } from '../config/presets.ts';
import { RUN_RETRY_DEADLINE_MS } from '../config/retry-policy.ts';
import type { StageSpec } from '../dataflow/declare.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { createResources } from '../dataflow/resources.ts';
import { countFiles, readDocuments, readOptionsFrom } from '../documents/files.ts';
import { SyncTracker } from '../documents/sync.ts';
import { retry } from '../engine/backoff.ts';
import type { Outcome } from '../engine/outcome.ts';
import { toPipelineError } from '../errors/pipeline-error.ts';
import { runInProcess, type DeadLetter, type Envelope } from '../in-process/runner.ts';
import { deadLetterRecorder, trackOutcome, trackTaken, versionedEntries } from '../in-process/store-feed.ts';
import { createLogger } from '../log/logger.ts';
import { JobTracker } from '../service/job-tracker.ts';
import { documentsUnder, existingDocuments } from '../storage/documents-by-source.ts';
import { FAILED_PHASE, recordJob, recordPhases } from '../storage/jobs.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import type { Messages, MinistersValue, RawDocument, StoredEvent } from '../topics/messages.ts';
import { ChunkSizeTally } from './chunk-sizes.ts';
import { openStore, type StoreChoice } from './open-store.ts';
import { createRunBar, expectedDocuments, type BarPayload } from './run-progress.ts';
import type { RunSummary } from './run-summary.ts';

export type { RunSummary } from './run-summary.ts';

export interface RunEmbeddedOptions {
  jobId?: string;
  /** Draw a progress bar (./run-progress.ts). */
  progress: boolean;
  /** Where the bar is drawn (a terminal). @defaultValue process.stderr */
  progressTo?: NodeJS.WritableStream;
  signal?: AbortSignal;
  /** Put before the id of every file (`--id-prefix`). */
  idPrefix?: string;
  /** Delete the stored documents of the roots whose files are gone (`--sync`). */
  sync?: boolean;
}

/** Current chunks whose vector is of another model than `model`, counted by model. */
async function currentChunksOfOtherModels(client: SqlClient, model: string): Promise<Record<string, number>> {
  const { rows } = await client.query<{ model: string; n: number }>(
    `SELECT c.model, count(*)::int AS n FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     WHERE c.model <> $1::text GROUP BY c.model ORDER BY c.model`, [model]);
  return Object.fromEntries(rows.map((r) => [r.model, Number(r.n)]));
}

/** A document to store, or (doc null) one to delete. */
interface Entry {
  docId: string;
  doc: RawDocument | null;
  origin: string;
  /** Of a deletion: the source of the document deleted, for the report. */
  source?: string;
}

/** What the in-process run is fed: entries, reading the store when they need it (--sync). */
type EntrySource = (client: SqlClient, summary: RunSummary) => AsyncGenerator<Entry>;

/** The entries the run will have been fed when it ends, as far as known after `read` (the progress bar's total). */
type ExpectedEntries = (read: number) => number;

const emptySummary = (): RunSummary => ({
  documents: 0, chunks: 0, embedded: 0, reused: 0, ministers: {}, skipped: [], failures: [], deleted: [], deadLetters: 0, seconds: 0, chunksPerSecond: 0,
});

/** Runs `entries` through every stage into the store chosen; never throws for what the run meets (see `error`). */
async function runEntries(entries: EntrySource, config: Config, store: StoreChoice, { jobId = `job-${randomUUID()}`, progress, progressTo, signal }: Pick<RunEmbeddedOptions, 'jobId' | 'progress' | 'progressTo' | 'signal'>, expected: ExpectedEntries = (read) => read): Promise<RunSummary & { jobId: string; store: string }> {
  const policy = retryPolicyFor(config, RUN_RETRY_DEADLINE_MS);
  // The model is asked for its dimension before the store is touched; a server still starting is waited for.
  const { client, where, config: settled } = await openStore(store, config, {
    verify: true,
    retry: async (probe) => (await retry(probe, policy, {
      ...(signal ? { signal } : {}),
      onRetry: (error, attempt, delayMs) => process.stderr.write(`era-ingest: waiting for the embedder: ${toPipelineError(error).message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})\n`),
    })).value,
    ...(signal ? { signal } : {}),
  });
  const resources = createResources(settled, { openDatabase: async () => client, ownsDatabase: false });
  // Job status (`era-ingest status`), recorded as the stage services record it, in the same store.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { command: 'run' }, process.stderr);
  const jobs = new JobTracker(client, PIPELINE, logger);
  const bar = progress ? createRunBar(progressTo) : undefined;
  const started = Date.now();
  const summary = emptySummary();
  const sizes = new ChunkSizeTally();
  let read = 0; // entries taken from the source
  let rejectedWhole = 0; // documents the first stage rejected: finished, with nothing stored
  let status = '';
  const payload = (): BarPayload => ({ chunks: summary.chunks, rate: Math.round(summary.chunks / Math.max(0.001, (Date.now() - started) / 1000)), failures: summary.failures.length, status });
  const show = (): void => {
    bar?.setTotal(expected(read));
    bar?.update(summary.documents + summary.deleted.length + rejectedWhole, payload());
  };
  const last = PIPELINE.stages.at(-1)!;
  const deleting = new Map<string, string | undefined>(); // id → source, of the deletions fed
  const onOutcome = (stage: StageSpec, outcome: Outcome<Envelope<unknown>, unknown>): void => {
    trackOutcome(jobs, stage, outcome);
    if (stage === PIPELINE.stages[0] && outcome.poison) rejectedWhole += 1;
    if (stage !== last || outcome.poison) return;
    const value = outcome.input.value as MinistersValue;
    if (value.kind === 'chunk') {
      summary.chunks += 1;
      sizes.chunk(value.tokenCount, value.text.length);
      summary.ministers[value.ministerId] = (summary.ministers[value.ministerId] ?? 0) + 1;
    }
    for (const event of outcome.outputs as StoredEvent[]) {
      if (!event.deleted) {
        summary.documents += 1;
        sizes.document(event.chunks);
      } else if (deleting.has(event.id)) {
        const source = deleting.get(event.id);
        summary.deleted.push({ id: event.id, ...(source ? { source } : {}) });
      }
    }
    status = '';
    show();
  };
  // Each document gets its version from the store's counter (src/in-process/store-feed.ts).
  const versioned = (items: Entry[]): AsyncGenerator<Envelope<Messages['raw']>> => versionedEntries(client, items.map((i) => ({ ...i, jobId })), (entry) => {
    if (entry.doc === null) deleting.set(entry.docId, entry.source);
    trackTaken(jobs, entry);
  });
  async function* source(): AsyncGenerator<Envelope<Messages['raw']>> {
    const pending: Entry[] = [];
    for await (const entry of entries(client, summary)) {
      read += 1;
      show();
      pending.push(entry);
      if (pending.length >= 64) yield* versioned(pending.splice(0));
    }
    yield* versioned(pending);
  }
  const rejected = new Map<string, { count: number; first: string; failure: RunSummary['failures'][number] }>();
  const record = deadLetterRecorder(client, config);
  const deadLetters = async (letters: readonly DeadLetter[]): Promise<void> => {
    const rows = await record(letters);
    // One failure line per input and stage, however many of its chunks were rejected.
    for (const row of rows) {
      const key = `${row.origin}\u0000${row.stage}`;
      const seen = rejected.get(key);
      if (seen) {
        seen.count += 1;
        seen.failure.reason = `${row.stage} stage rejected ${seen.count} of its inputs; the first: ${seen.first}`;
        continue;
      }
      const first = `${row.errorCode}: ${row.errorMessage}`;
      const failure = { origin: row.origin!, code: row.errorCode, stage: row.stage, reason: `${row.stage} stage: ${first}` };
      rejected.set(key, { count: 1, first, failure });
      summary.failures.push(failure);
    }
    summary.deadLetters += rows.length;
  };
  try {
    await recordJob(client, { jobId, docCount: 0, priority: false });
    bar?.start(expected(0), 0, payload());
    await runInProcess(source(), {
      flow: PIPELINE,
      context: {
        config: settled, resources, now: Date.now,
        observer: { embedded: (fresh, reused) => { summary.embedded += fresh; summary.reused += reused; } },
      },
      retryPolicy: policy,
      deadLetters,
      onOutcome,
      onRetry: (stage, error, attempt, delayMs) => {
        const why = toPipelineError(error).message;
        status = `| ${stage.name}: retrying (${attempt}) in ${(delayMs / 1000).toFixed(1)} s: ${why.slice(0, 80)}`;
        if (bar) show();
        else process.stderr.write(`era-ingest: ${stage.name} stage: ${why}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})\n`);
      },
      dlqLimit: { maxRatio: config.dlqMaxRatio, window: config.dlqWindow },
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    const e = toPipelineError(error);
    summary.error = `${e.code}: ${e.message}`;
    summary.errorCode = e.code;
  } finally {
    bar?.stop();
    summary.model = resources.embedder().model;
    summary.otherModels = await currentChunksOfOtherModels(client, summary.model).catch(() => ({}));
    await jobs.close();
    // A file that gave no document is a failed document of the job, as `publish` records it.
    const unread = summary.failures.filter((f) => f.stage === undefined);
    await recordPhases(client, unread.map((f) => ({ jobId, docId: f.origin, phase: FAILED_PHASE, stage: 'read', ...(f.code ? { errorCode: f.code } : {}), errorMessage: f.reason })), PIPELINE.phases)
      .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'the files that failed were not recorded as failed documents of the job'));
    await resources.close().catch(() => undefined);
    await client.close();
  }
  const chunkSizes = sizes.sizes();
  if (chunkSizes) summary.chunkSizes = chunkSizes;
  summary.seconds = (Date.now() - started) / 1000;
  summary.chunksPerSecond = summary.seconds > 0 ? summary.chunks / summary.seconds : 0;
  return { ...summary, jobId, store: where };
}

/** `era-ingest run <paths…>`: see the file's contract. */
export async function runEmbeddedCommand(paths: string[], config: Config, store: StoreChoice, options: RunEmbeddedOptions): Promise<RunSummary & { jobId: string; store: string }> {
  // The bar's total: the files to read, counted first (a walk, nothing read), then what they gave.
  const files = options.progress ? await countFiles(paths) : 0;
  let filesBegun = 0;
  const entries: EntrySource = async function* (client, summary) {
    const tracker = options.sync ? new SyncTracker() : undefined;
    const reading = readDocuments(paths, { ...readOptionsFrom(config, options.idPrefix), onRoot: (root) => tracker?.addRoot(root), onFile: () => (filesBegun += 1) });
    for await (const item of reading) {
      tracker?.note(item);
      if (item.kind === 'document') yield { docId: item.doc.id, doc: item.doc, origin: item.origin };
      else (item.kind === 'skipped' ? summary.skipped : summary.failures).push({ origin: item.origin, code: item.code, reason: item.reason });
    }
    if (!tracker) return;
    // Every file was read: what the roots held before and no file gave now is gone.
    for (const gone of tracker.stale(await documentsUnder(client, tracker.rootUrls()))) {
      yield { docId: gone.id, doc: null, origin: gone.id, ...(gone.source ? { source: gone.source } : {}) };
    }
  };
  return runEntries(entries, config, { ...store, create: true }, options, (read) => expectedDocuments({ files, filesBegun, documentsRead: read }));
}

/** `era-ingest delete <ids…> --data-dir|--db`: deletes the current documents among `ids`; the others are `unknown`. */
export async function deleteEmbeddedCommand(ids: string[], config: Config, store: StoreChoice, options: Pick<RunEmbeddedOptions, 'jobId' | 'signal'>): Promise<RunSummary & { jobId: string; store: string; unknown: string[] }> {
  const unknown: string[] = [];
  const entries: EntrySource = async function* (client) {
    const existing = await existingDocuments(client, ids);
    for (const id of new Set(ids)) {
      if (existing.has(id)) yield { docId: id, doc: null, origin: id };
      else unknown.push(id);
    }
  };
  const summary = await runEntries(entries, config, store, { ...options, progress: false });
  return { ...summary, unknown };
}
