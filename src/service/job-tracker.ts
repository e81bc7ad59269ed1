/**
 * Records job progress from what a stage makes durable (`era-ingest status`): each outcome
 * moves its document to the phase after this stage (the dataflow says which), the last stage's
 * stored events complete their documents, poison marks a document failed with the reason.
 * Updates are buffered and written in one statement per flush; recording status never blocks
 * or fails the pipeline (a failed flush is logged and its updates retried with the next one).
 */
import type { Dataflow, StageSpec } from '../dataflow/declare.ts';
import { isRetriable } from '../errors/pipeline-error.ts';
import type { InputMessage } from '../kafka/records.ts';
import type { StageOutcome } from '../kafka/stage-runner.ts';
import type { Logger } from '../log/logger.ts';
import { COMPLETE_PHASE, FAILED_PHASE, recordPhases, type PhaseUpdate } from '../storage/jobs.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { HEADERS } from '../topics/headers.ts';
import type { StoredEvent } from '../topics/messages.ts';

const MAX_BUFFER = 50_000;

export class JobTracker {
  private buffer: PhaseUpdate[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** The phase entered when this stage takes a document: only the first stage (nothing before it recorded one). */
  private readonly takenPhase?: string;
  private readonly nextPhase?: string;
  private readonly last: boolean;

  constructor(
    private readonly client: SqlClient,
    private readonly flow: Dataflow,
    private readonly stage: StageSpec,
    private readonly logger: Logger,
    flushEveryMs = 500,
  ) {
    if (flow.stages[0] === stage) this.takenPhase = stage.phase;
    this.nextPhase = flow.phaseAfter(stage);
    // Stored events complete documents; a last stage that emits something else completes none.
    this.last = flow.isLast(stage) && stage.output.kind === 'stored';
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  private push(update: PhaseUpdate): void {
    if (this.buffer.length < MAX_BUFFER) this.buffer.push(update);
  }

  taken(inputs: readonly InputMessage[]): void {
    if (!this.takenPhase) return;
    for (const input of inputs) {
      const jobId = input.headers[HEADERS.job];
      if (jobId && input.key) this.push({ jobId, docId: input.key.toString('utf8'), phase: this.takenPhase, stage: this.stage.name });
    }
  }

  result(outcome: StageOutcome<unknown>): void {
    const jobId = outcome.input.headers[HEADERS.job];
    const stage = this.stage.name;
    if (this.last) {
      // The last stage's outputs are the stored events: each completes its document (and names its job).
      for (const { value } of outcome.outputs) {
        const event = value as StoredEvent;
        const job = event.jobId ?? jobId;
        if (job) this.push({ jobId: job, docId: event.id, phase: COMPLETE_PHASE, stage });
      }
    }
    if (!jobId) return;
    const docId = outcome.input.key?.toString('utf8') ?? '(no key)';
    if (outcome.poison) {
      this.push({ jobId, docId, phase: FAILED_PHASE, stage, errorCode: outcome.poison.code, errorMessage: outcome.poison.message });
      return;
    }
    if (this.nextPhase && outcome.outputs.length > 0) this.push({ jobId, docId, phase: this.nextPhase, stage });
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

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }
}
