/**
 * What every feeder of the in-process runner into a store shares (`era-ingest run`,
 * `era-ingest delete --data-dir`, `serve` without Kafka, dead-letter replay on the store): one
 * place for each fact of how documents enter the runner and how its results are recorded.
 *
 * - versions: each document gets the next version of the store's per-document counter
 *   (src/storage/versions.ts), a batch of documents per statement, in the order fed;
 * - job status: the first stage's intake and every outcome go to the JobTracker, as the stage
 *   services record theirs (`era-ingest status`, GET /jobs/:id);
 * - dead letters: a stage's poison input is recorded in the store's dead_letters table with its
 *   stage's codec (JSON), the document version of a raw entry and the attempts so far.
 */
import type { RetryPolicy } from '../config/retry-policy.ts';
import type { Config, SettledConfig } from '../config/schema.ts';
import type { StageSpec } from '../dataflow/declare.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import type { Outcome } from '../engine/outcome.ts';
import type { JobTracker } from '../service/job-tracker.ts';
import type { Resources } from '../stages/transform.ts';
import { recordDeadLetters, type DeadLetterRow } from '../storage/dead-letters.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { nextVersions } from '../storage/versions.ts';
import { codecFor, encodeMessage } from '../topics/codec-async.ts';
import { messageKey, type MessageKind, type Messages, type RawDocument } from '../topics/messages.ts';
import { topicName } from '../topics/names.ts';
import type { DeadLetter, Envelope, InProcessOptions } from './runner.ts';

/** A document to store, or (doc null) one to delete, of a job. */
export interface FeedEntry {
  docId: string;
  doc: RawDocument | null;
  /** Where it came from (a file, a line, an HTTP request): for reports and dead letters. */
  origin: string;
  /** Unset only for a replayed letter recorded without one. */
  jobId?: string;
}

/**
 * The runner's raw envelopes for `items`, in order, each with the next version of its document.
 * A repeated id waits for the next statement, so it gets the next version. `taken` is called
 * just before each entry is handed on (the first stage's intake, for job status).
 */
export async function* versionedEntries<E extends FeedEntry>(client: SqlClient, items: readonly E[], taken?: (entry: E) => void): AsyncGenerator<Envelope<Messages['raw']>> {
  let rest = [...items];
  while (rest.length > 0) {
    const ids = new Set<string>();
    const now = rest.filter((i) => !ids.has(i.docId) && ids.add(i.docId));
    rest = rest.filter((i) => !now.includes(i));
    const versions = await nextVersions(client, now.map((i) => i.docId));
    for (const entry of now) {
      taken?.(entry);
      yield { value: { docId: entry.docId, doc: entry.doc, version: versions.get(entry.docId)!, ...(entry.jobId !== undefined ? { jobId: entry.jobId } : {}) }, origin: entry.origin };
    }
  }
}

/** Records the first stage's intake of `entry` as the stages record theirs. */
export function trackTaken(jobs: JobTracker, entry: Pick<FeedEntry, 'jobId' | 'docId'>): void {
  jobs.taken(PIPELINE.stages[0], [{ jobId: entry.jobId, docId: entry.docId }]);
}

/** Records one outcome of `stage` in job status (the next phase, complete, or failed with the reason). */
export function trackOutcome(jobs: JobTracker, stage: StageSpec, outcome: Outcome<Envelope<unknown>, unknown>): void {
  const input = outcome.input.value as Messages[MessageKind] & { jobId?: string };
  jobs.result(stage, { jobId: input.jobId, docId: messageKey(stage.input.kind, input) }, outcome.outputs, outcome.poison);
}

/**
 * A `deadLetters` callback for the runner: encodes each poison input with its stage's codec and
 * records them in one statement. `priorAttempts` gives the attempts an input had before this run
 * (a replayed dead letter), so a letter that fails again counts on, as era.dlq.attempts does.
 * @returns the callback; it resolves with the rows recorded (for reports).
 */
export function deadLetterRecorder(client: SqlClient, config: Pick<Config, 'topicPrefix'>, priorAttempts: (input: Envelope<unknown>) => number = () => 0): (letters: readonly DeadLetter[]) => Promise<DeadLetterRow[]> {
  return async (letters) => {
    const rows: DeadLetterRow[] = [];
    for (const { stage, input, error, attempts } of letters) {
      const kind = stage.input.kind;
      const codec = await codecFor(kind, topicName(config.topicPrefix, stage.input.name), { codec: 'json', schemaRegistryUrl: undefined });
      const value = input.value as Messages[typeof kind] & { docId?: string; jobId?: string; version?: number };
      rows.push({
        stage: stage.name, errorCode: error.code, errorMessage: error.message, origin: input.origin, messageKind: kind, attempts: priorAttempts(input) + attempts,
        value: await encodeMessage(kind, codec, value),
        ...(value.docId !== undefined ? { docId: value.docId } : {}), ...(value.jobId !== undefined ? { jobId: value.jobId } : {}),
        ...(kind === 'raw' && typeof value.version === 'number' ? { docVersion: value.version } : {}),
      });
    }
    await recordDeadLetters(client, rows);
    return rows;
  };
}

/** What every run into one store shares: the store, the settled configuration, the resources, the job tracker. */
export interface StoreRunContext {
  /** The store, migrated; never closed here. */
  client: SqlClient;
  config: SettledConfig;
  /** Embedder and minister profiles shared by every run; never closed here. */
  resources: Resources;
  jobs: JobTracker;
  retryPolicy: RetryPolicy;
}

/**
 * The runner's options for one run into the store: job status and dead letters recorded as
 * above, then `onOutcome` for the caller's own bookkeeping.
 */
export function storeRunOptions(run: StoreRunContext, extra: {
  onOutcome?: InProcessOptions['onOutcome'];
  onRetry?: InProcessOptions['onRetry'];
  priorAttempts?: (input: Envelope<unknown>) => number;
  signal?: AbortSignal;
  from?: StageSpec;
} = {}): InProcessOptions {
  const record = deadLetterRecorder(run.client, run.config, extra.priorAttempts);
  return {
    flow: PIPELINE,
    context: { config: run.config, resources: run.resources, now: Date.now, observer: {} },
    retryPolicy: run.retryPolicy,
    deadLetters: async (letters) => {
      await record(letters);
    },
    onOutcome: (stage, outcome) => {
      trackOutcome(run.jobs, stage, outcome);
      extra.onOutcome?.(stage, outcome);
    },
    ...(extra.onRetry ? { onRetry: extra.onRetry } : {}),
    dlqLimit: { maxRatio: run.config.dlqMaxRatio, window: run.config.dlqWindow },
    ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.from ? { from: extra.from } : {}),
  };
}
