/**
 * One in-process pipeline fed by a queue: what `serve` without Kafka runs documents through
 * (every submission of the server into the same pipeline, not one per request).
 *
 * Contract:
 * - `offer(entries)` is synchronous and never blocks: the entries are queued whole and 'queued'
 *   is returned, or nothing is queued and 'full' (over maxQueuedDocuments / maxQueuedBytes while
 *   the queue holds anything: backpressure as a returned value, the caller answers 503) or
 *   'closed' (close() began) is returned. Accepted entries are in memory until the first stage
 *   takes them: a crash loses them (their job shows them queued), as it would lose a request
 *   that was never answered; Kafka mode keeps them in era.raw instead.
 * - Versions are handed out from the store's counter when the pipeline takes entries, so they
 *   follow the order of the offers, as offsets in era.raw follow the order of publishing.
 * - A dependency outage is waited out (RETRY_DEADLINE_MS, unbounded by default, as the stage
 *   services do), with later offers queueing up to the limit. When the pipeline stops anyway
 *   (the dead-letter limit, a retry deadline, a bug), every document queued or in flight is
 *   recorded as failed in its job with the reason, the queue is emptied, and the next offer
 *   starts a new pipeline.
 * - `close(deadlineMs)` stops accepting, then drains: the pipeline finishes every queued and
 *   in-flight document; what is not stored by the deadline is abandoned and recorded as failed
 *   in its job (code SHUTDOWN, "submit it again"), so no job is left waiting for ever. Idempotent.
 */
import type { StageSpec } from '../dataflow/declare.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import type { Outcome } from '../engine/outcome.ts';
import { PipelineError, toPipelineError } from '../errors/pipeline-error.ts';
import type { Logger } from '../log/logger.ts';
import type { DeadLetterFilter } from '../storage/dead-letters.ts';
import { FAILED_PHASE, recordPhases } from '../storage/jobs.ts';
import { messageKey, type MessageKind, type Messages, type StoredEvent } from '../topics/messages.ts';
import { replayStoreDeadLetters, type StoreReplayResult } from './replay-dead-letters.ts';
import { runInProcess, type Envelope } from './runner.ts';
import { storeRunOptions, trackTaken, versionedEntries, type FeedEntry, type StoreRunContext } from './store-feed.ts';

export interface IngestQueueOptions {
  /** Documents waiting for the pipeline, at most. @defaultValue 10_000 */
  maxQueuedDocuments?: number;
  /** UTF-8 bytes of text waiting for the pipeline, at most. @defaultValue 64 MiB */
  maxQueuedBytes?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Told every stage's outcome of the pipeline (metrics). */
  onOutcome?: (stage: StageSpec, outcome: Outcome<Envelope<unknown>, unknown>) => void;
}

export type Offer = 'queued' | 'full' | 'closed';

const STOPPED = 'the server stopped before this document was stored: submit it again';

/** Entries handed to the pipeline per version statement. */
const TAKE = 64;

const keyOf = (jobId: string | undefined, docId: string): string => `${jobId ?? ''}\u0000${docId}`;

export class IngestQueue {
  private readonly queue: Array<{ entry: FeedEntry; bytes: number }> = [];
  private queuedBytes = 0;
  /** Documents offered and not yet stored or failed, by job and id (a count: an id may repeat). */
  private readonly pending = new Map<string, { jobId: string | undefined; docId: string; count: number }>();
  private wake?: () => void;
  private running?: Promise<void>;
  private abort?: AbortController;
  private closing = false;
  private closed?: Promise<void>;
  private readonly replays = new Set<Promise<void>>();
  private readonly replaysAbort = new AbortController();
  private readonly maxDocuments: number;
  private readonly maxBytes: number;

  constructor(private readonly run: StoreRunContext, private readonly options: IngestQueueOptions = {}) {
    this.maxDocuments = options.maxQueuedDocuments ?? 10_000;
    this.maxBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024;
    for (const [name, v] of [['maxQueuedDocuments', this.maxDocuments], ['maxQueuedBytes', this.maxBytes]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`IngestQueue: ${name} must be a positive integer, got ${v}`);
    }
  }

  /** Queues `entries` whole, or none of them; see the contract. */
  offer(entries: readonly FeedEntry[]): Offer {
    if (this.closing) return 'closed';
    const sized = entries.map((entry) => ({ entry, bytes: entry.doc === null ? 0 : Buffer.byteLength(entry.doc.text, 'utf8') }));
    const bytes = sized.reduce((n, s) => n + s.bytes, 0);
    // An empty queue takes any request, so one larger than the limits still gets through.
    if (this.queue.length > 0 && (this.queue.length + entries.length > this.maxDocuments || this.queuedBytes + bytes > this.maxBytes)) return 'full';
    for (const s of sized) {
      this.queue.push(s);
      const key = keyOf(s.entry.jobId, s.entry.docId);
      const seen = this.pending.get(key);
      if (seen) seen.count += 1;
      else this.pending.set(key, { jobId: s.entry.jobId, docId: s.entry.docId, count: 1 });
    }
    this.queuedBytes += bytes;
    this.start();
    this.wake?.();
    return 'queued';
  }

  /** Documents waiting for the pipeline (not yet taken by its first stage). */
  get queued(): number {
    return this.queue.length;
  }

  /** False once close() began (readiness). */
  accepting(): boolean {
    return !this.closing;
  }

  /** Stops accepting and drains within `deadlineMs`; see the contract. Never rejects. */
  close(deadlineMs: number): Promise<void> {
    return (this.closed ??= (async () => {
      this.closing = true;
      this.wake?.();
      const timer = setTimeout(() => {
        const reason = new PipelineError('SHUTDOWN', STOPPED);
        this.abort?.abort(reason);
        this.replaysAbort.abort(reason);
      }, deadlineMs);
      try {
        await Promise.all([this.running, ...this.replays]);
      } finally {
        clearTimeout(timer);
      }
      await this.run.jobs.flush();
    })());
  }

  /**
   * Replays the store's dead letters (./replay-dead-letters.ts) beside the queue's pipeline;
   * resolves once they are taken, with the counts. close() drains replays as it drains the queue.
   * @throws PipelineError SHUTDOWN (retriable) once close() began.
   */
  async replay(filter: DeadLetterFilter, { all }: { all: boolean }): Promise<StoreReplayResult> {
    if (this.closing) throw new PipelineError('SHUTDOWN', 'the server is shutting down: replay on another instance or after the restart', { retriable: true });
    const { done, ...result } = await replayStoreDeadLetters(this.run, filter, {
      all, signal: this.replaysAbort.signal,
      onError: (stage, error) => this.options.logger?.error({ stage: stage.name, err: toPipelineError(error).message }, 'a dead-letter replay stopped before its end; replay again with all'),
    });
    this.replays.add(done);
    void done.finally(() => this.replays.delete(done));
    return result;
  }

  private start(): void {
    if (this.running) return;
    const abort = new AbortController();
    this.abort = abort;
    this.running = runInProcess(this.source(abort.signal), storeRunOptions(this.run, {
      signal: abort.signal,
      onOutcome: (stage, outcome) => {
        this.settled(stage, outcome);
        this.options.onOutcome?.(stage, outcome);
      },
      onRetry: (stage, error, attempt, delayMs) => this.options.logger?.warn({ stage: stage.name, err: toPipelineError(error).message, attempt, delayMs }, 'a dependency of the pipeline failed; retrying'),
    }))
      .catch((error: unknown) => this.failed(toPipelineError(error)))
      .finally(() => {
        this.running = undefined;
        if (this.queue.length > 0 && !this.closing) this.start();
      });
  }

  /** The pipeline's input: queued entries as they come, until close() with nothing queued. */
  private async *source(signal: AbortSignal): AsyncGenerator<Envelope<Messages['raw']>> {
    const onAbort = (): void => this.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (signal.aborted) return;
        if (this.queue.length === 0) {
          if (this.closing) return;
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        const taken = this.queue.splice(0, TAKE);
        this.queuedBytes -= taken.reduce((n, t) => n + t.bytes, 0);
        yield* versionedEntries(this.run.client, taken.map((t) => t.entry), (entry) => trackTaken(this.run.jobs, entry));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** A document is finished when stored (the last stage's event) or rejected by any stage. */
  private settled(stage: StageSpec, outcome: Outcome<Envelope<unknown>, unknown>): void {
    const done = (jobId: string | undefined, docId: string): void => {
      const key = keyOf(jobId, docId);
      const seen = this.pending.get(key);
      if (seen && (seen.count -= 1) <= 0) this.pending.delete(key);
    };
    if (outcome.poison) {
      const input = outcome.input.value as Messages[MessageKind] & { jobId?: string };
      done(input.jobId, messageKey(stage.input.kind, input));
    } else if (PIPELINE.isLast(stage)) {
      for (const event of outcome.outputs as StoredEvent[]) done(event.jobId, event.id);
    }
  }

  /** The pipeline stopped: every document not finished fails in its job with the reason. */
  private async failed(error: PipelineError): Promise<void> {
    const unfinished = [...this.pending.values()];
    this.pending.clear();
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (unfinished.length === 0) return;
    this.options.logger?.[error.code === 'SHUTDOWN' ? 'warn' : 'error']({ code: error.code, err: error.message, documents: unfinished.length }, 'the in-process pipeline stopped: its unfinished documents are recorded as failed');
    // After what the tracker buffered, so nothing it writes later moves them back (failed is the last phase).
    await this.run.jobs.flush();
    const message = error.code === 'SHUTDOWN' ? STOPPED : `the in-process pipeline stopped before this document was stored (${error.code}: ${error.message}); submit it again`;
    await recordPhases(this.run.client, unfinished.flatMap((u) => (u.jobId === undefined ? [] : [{ jobId: u.jobId, docId: u.docId, phase: FAILED_PHASE, stage: 'serve', errorCode: error.code, errorMessage: message }])), PIPELINE.phases)
      .catch((e: unknown) => this.options.logger?.error({ err: (e as Error).message }, 'the unfinished documents could not be recorded as failed'));
  }
}
