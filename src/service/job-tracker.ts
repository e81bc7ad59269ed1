/**
 * Records job progress from what a stage makes durable (`era-ingest status`), for both runners:
 * each outcome moves its document to the phase after this stage (the dataflow says which), the
 * last stage's stored events complete their documents, poison marks a document failed with the
 * reason. The runner says which job and document an input belongs to (`TrackedInput`: the Kafka
 * runner from a record's key and job header, the in-process runner from the message itself).
 * Updates are buffered and written in one statement per flush; recording status never blocks
 * or fails the pipeline (a failed flush is logged and its updates retried with the next one).
 */
import type { Dataflow, StageSpec } from '../dataflow/declare.ts';
import type { PipelineError } from '../errors/pipeline-error.ts';
import { isRetriable } from '../errors/pipeline-error.ts';
import type { Logger } from '../log/logger.ts';
import { COMPLETE_PHASE, FAILED_PHASE, recordPhases, type PhaseUpdate } from '../storage/jobs.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import type { StoredEvent } from '../topics/messages.ts';

const MAX_BUFFER = 50_000;

/** The job and document of an input; either may be unknown (no job header, a keyless record). */
export interface TrackedInput {
  readonly jobId: string | undefined;
  readonly docId: string | undefined;
}

export class JobTracker {
  private buffer: PhaseUpdate[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  /**
   * @param logger where a failed flush is reported (never thrown).
   * @param flushEveryMs how often buffered updates are written, ms.
   */
  constructor(
    private readonly client: SqlClient,
    private readonly flow: Dataflow,
    private readonly logger: Pick<Logger, 'warn' | 'error'>,
    flushEveryMs = 500,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  private push(update: PhaseUpdate): void {
    if (this.buffer.length < MAX_BUFFER) this.buffer.push(update);
  }

  /** `stage` took `inputs` to work on. Only the first stage records it (nothing before it recorded a phase). */
  taken(stage: StageSpec, inputs: readonly TrackedInput[]): void {
    if (this.flow.stages[0] !== stage) return;
    for (const { jobId, docId } of inputs) {
      if (jobId && docId !== undefined) this.push({ jobId, docId, phase: stage.phase, stage: stage.name });
    }
  }

  /** `stage` finished `input`: its `outputs` (the messages, not records) are durable, or it is `poison`. */
  result(stage: StageSpec, input: TrackedInput, outputs: readonly unknown[], poison?: PipelineError): void {
    const { jobId } = input;
    // The last stage's outputs are the stored events: each completes its document (and names its job).
    if (this.flow.isLast(stage) && stage.output.kind === 'stored') {
      for (const value of outputs) {
        const event = value as StoredEvent;
        const job = event.jobId ?? jobId;
        if (job) this.push({ jobId: job, docId: event.id, phase: COMPLETE_PHASE, stage: stage.name });
      }
    }
    if (!jobId) return;
    const docId = input.docId ?? '(no key)';
    if (poison) {
      this.push({ jobId, docId, phase: FAILED_PHASE, stage: stage.name, errorCode: poison.code, errorMessage: poison.message });
      return;
    }
    const next = this.flow.phaseAfter(stage);
    if (next && outputs.length > 0) this.push({ jobId, docId, phase: next, stage: stage.name });
  }

  /** Writes buffered updates. Never rejects. */
  flush(): Promise<void> {
    if (this.flushing || this.buffer.length === 0) return this.flushing ?? Promise.resolve();
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = recordPhases(this.client, batch, this.flow.phases)
      .catch((error: unknown) => {
        if (!isRetriable(error)) {
          // Retrying cannot fix it (a bug): drop these updates rather than block job status for good.
          this.logger.error({ err: (error as Error).message, updates: batch.length }, 'job status updates dropped');
          return;
        }
        this.logger.warn({ err: (error as Error).message, updates: batch.length }, 'job status not recorded; will retry');
        this.buffer = batch.concat(this.buffer).slice(0, MAX_BUFFER);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Stops the timer and writes what is buffered (once more after a flush in progress). Never rejects. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }
}
