/**
 * `era-ingest run`: files and folders through the in-process runner into the embedded store
 * (PGlite, or PostgreSQL with --db), with a progress bar and a summary. What cannot be read is
 * reported and skipped; what a stage rejects is recorded in the store's dead_letters table and
 * reported; a dependency that stays down past RETRY_DEADLINE_MS (default 5 minutes here) stops
 * the run, with what was stored until then reported.
 */
import { randomUUID } from 'node:crypto';
import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../config/schema.ts';
import { retryPolicyFor } from '../config/presets.ts';
import { RUN_RETRY_DEADLINE_MS } from '../config/retry-policy.ts';
import type { StageSpec } from '../dataflow/declare.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { createResources } from '../dataflow/resources.ts';
import { readDocuments } from '../documents/files.ts';
import { retry } from '../engine/backoff.ts';
import { toPipelineError } from '../errors/pipeline-error.ts';
import { runInProcess, type DeadLetter, type Envelope } from '../in-process/runner.ts';
import { recordDeadLetters, type DeadLetterRow } from '../storage/dead-letters.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { nextVersions } from '../storage/versions.ts';
import { codecFor, encodeMessage } from '../topics/codec-async.ts';
import type { Messages, MinistersValue, RawDocument, StoredEvent } from '../topics/messages.ts';
import { topicName } from '../topics/names.ts';
import { rawLimits } from '../topics/raw-document.ts';
import { ChunkSizeTally, formatChunkSizes, type ChunkSizes } from './chunk-sizes.ts';
import { openStore, type StoreChoice } from './open-store.ts';

export interface RunEmbeddedOptions {
  jobId?: string;
  progress: boolean;
  signal?: AbortSignal;
}

export interface RunSummary {
  documents: number;
  chunks: number;
  /** Chunks embedded by a call to the embedder (the rest reused stored vectors). */
  embedded: number;
  reused: number;
  ministers: Record<string, number>;
  /** Inputs that could not be read, and inputs a stage rejected (one line per input and stage; those with `stage` are in dead_letters). */
  failures: Array<{ origin: string; reason: string; stage?: string }>;
  /** Inputs a stage rejected (recorded in the store's dead_letters table). */
  deadLetters: number;
  /** Why the run stopped before the end (a dependency down past the deadline, the dead-letter limit, a configuration error, an interrupt). */
  error?: string;
  /** The error code of `error`. */
  errorCode?: string;
  seconds: number;
  chunksPerSecond: number;
  /**
   * Current chunks embedded by another model than this run's, by model: an unchanged document
   * keeps the vectors it was stored with (re-embedding it is `era-ingest reembed`'s work).
   */
  otherModels?: Record<string, number>;
  /** The model this run embedded with. */
  model?: string;
  /** How big the chunks this run stored are, and how many each stored document got (absent when none). */
  chunkSizes?: ChunkSizes;
}

/** Current chunks whose vector is of another model than `model`, counted by model. */
async function currentChunksOfOtherModels(client: SqlClient, model: string): Promise<Record<string, number>> {
  const { rows } = await client.query<{ model: string; n: number }>(
    `SELECT c.model, count(*)::int AS n FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     WHERE c.model <> $1::text GROUP BY c.model ORDER BY c.model`, [model]);
  return Object.fromEntries(rows.map((r) => [r.model, Number(r.n)]));
}

export async function runEmbeddedCommand(paths: string[], config: Config, store: StoreChoice, { jobId = `job-${randomUUID()}`, progress, signal }: RunEmbeddedOptions): Promise<RunSummary & { jobId: string; store: string }> {
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
  const bar = progress ? new SingleBar({ format: ' {bar} {value} docs | {chunks} chunks | {rate} chunks/s | {failures} failed {status}', hideCursor: true }, Presets.shades_classic) : undefined;
  const started = Date.now();
  const summary: RunSummary = { documents: 0, chunks: 0, embedded: 0, reused: 0, ministers: {}, failures: [], deadLetters: 0, seconds: 0, chunksPerSecond: 0 };
  const sizes = new ChunkSizeTally();
  let read = 0;
  let status = '';
  const show = (): void => {
    bar?.setTotal(read);
    bar?.update(summary.documents, { chunks: summary.chunks, rate: Math.round(summary.chunks / Math.max(0.001, (Date.now() - started) / 1000)), failures: summary.failures.length, status });
  };
  const last = PIPELINE.stages.at(-1)!;
  const onOutcome = (stage: StageSpec, outcome: { input: Envelope<unknown>; outputs: readonly unknown[]; poison?: unknown }): void => {
    if (stage === PIPELINE.stages[0]) read += 1;
    if (stage !== last || outcome.poison) return;
    const value = outcome.input.value as MinistersValue;
    if (value.kind === 'chunk') {
      summary.chunks += 1;
      sizes.chunk(value.tokenCount, value.text.length);
      summary.ministers[value.ministerId] = (summary.ministers[value.ministerId] ?? 0) + 1;
    }
    for (const event of outcome.outputs as StoredEvent[]) {
      if (event.deleted) continue;
      summary.documents += 1;
      sizes.document(event.chunks);
    }
    status = '';
    show();
  };
  // Each document gets its version from the store's counter (src/storage/versions.ts), a batch
  // of documents per statement; a repeated id waits for the next statement, so it gets the next
  // version.
  async function* versioned(items: Array<{ doc: RawDocument; origin: string }>): AsyncGenerator<Envelope<Messages['raw']>> {
    while (items.length > 0) {
      const ids = new Set<string>();
      const now = items.filter((i) => !ids.has(i.doc.id) && ids.add(i.doc.id));
      items = items.filter((i) => !now.includes(i));
      const versions = await nextVersions(client, now.map((i) => i.doc.id));
      for (const { doc, origin } of now) yield { value: { docId: doc.id, doc, version: versions.get(doc.id)!, jobId }, origin };
    }
  }
  async function* source(): AsyncGenerator<Envelope<Messages['raw']>> {
    const pending: Array<{ doc: RawDocument; origin: string }> = [];
    for await (const item of readDocuments(paths, rawLimits(config))) {
      if (item.kind === 'failure') {
        summary.failures.push({ origin: item.origin, reason: item.reason });
        continue;
      }
      pending.push(item);
      if (pending.length >= 64) yield* versioned(pending.splice(0));
    }
    yield* versioned(pending);
  }
  const rejected = new Map<string, { count: number; first: string; failure: RunSummary['failures'][number] }>();
  const deadLetters = async (letters: readonly DeadLetter[]): Promise<void> => {
    const rows: DeadLetterRow[] = [];
    for (const { stage, input, error, attempts } of letters) {
      const kind = stage.input.kind;
      const codec = await codecFor(kind, topicName(config.topicPrefix, stage.input.name), { codec: 'json', schemaRegistryUrl: undefined });
      const value = input.value as Messages[typeof kind] & { docId?: string; jobId?: string };
      rows.push({
        stage: stage.name, errorCode: error.code, errorMessage: error.message, origin: input.origin, messageKind: kind, attempts,
        value: await encodeMessage(kind, codec, value), ...(value.docId !== undefined ? { docId: value.docId } : {}), ...(value.jobId !== undefined ? { jobId: value.jobId } : {}),
      });
    }
    await recordDeadLetters(client, rows);
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
      const failure = { origin: row.origin!, stage: row.stage, reason: `${row.stage} stage: ${first}` };
      rejected.set(key, { count: 1, first, failure });
      summary.failures.push(failure);
    }
    summary.deadLetters += rows.length;
  };
  try {
    bar?.start(0, 0, { chunks: 0, rate: 0, failures: 0, status });
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
    await resources.close().catch(() => undefined);
    await client.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  summary.chunksPerSecond = summary.seconds > 0 ? summary.chunks / summary.seconds : 0;
  const chunkSizes = sizes.sizes();
  if (chunkSizes) summary.chunkSizes = chunkSizes;
  return { ...summary, jobId, store: where };
}

/** The human summary printed after a run. */
export function formatSummary(s: RunSummary & { jobId: string; store: string }, lexical: boolean): string {
  const lines = [
    `ingested ${s.documents} documents, ${s.chunks} chunks in ${s.seconds.toFixed(1)} s (${Math.round(s.chunksPerSecond)} chunks/s) into ${s.store}`,
    `  embedded ${s.embedded} chunks, reused ${s.reused} stored vectors${lexical ? ' (hash embedder: lexical, not semantic)' : ''}`,
    ...(s.chunkSizes ? [`  ${formatChunkSizes(s.chunkSizes)}`] : []),
    `  ministers: ${Object.entries(s.ministers).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`,
    `  job: ${s.jobId}`,
  ];
  if (s.failures.length) {
    lines.push(`  ${s.failures.length} failed${s.deadLetters ? ` (${s.deadLetters} inputs rejected by a stage, kept as dead letters: era-ingest dlq list --data-dir <dir>)` : ''}:`);
    for (const f of s.failures.slice(0, 50)) lines.push(`    ${f.origin}: ${f.reason}`);
    if (s.failures.length > 50) lines.push(`    … and ${s.failures.length - 50} more (use --json for all)`);
  }
  for (const [model, n] of Object.entries(s.otherModels ?? {})) {
    lines.push(`  note: ${n} stored chunks of unchanged documents keep their ${model} vectors; to search them with ${s.model}, re-embed them: era-ingest reembed --model ${s.model} (with this run's --data-dir or --db)`);
  }
  if (s.error) lines.push(`  stopped before the end: ${s.error}`);
  return lines.join('\n');
}

/** Exit code of a run: 2 when it stopped on a configuration error, 1 when it stopped early otherwise, a stage rejected an input, or nothing could be ingested. */
export function runExitCode(s: RunSummary): number {
  if (s.errorCode === 'CONFIG_INVALID') return 2;
  return s.error !== undefined || s.deadLetters > 0 || (s.documents === 0 && s.failures.length > 0) ? 1 : 0;
}
