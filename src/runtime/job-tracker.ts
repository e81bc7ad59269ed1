/**
 * Records job progress from what a stage makes durable (DESIGN.md §8 `status`): each result
 * moves its document to the phase after this stage, poison marks it failed with the reason.
 * Updates are buffered and written in one statement per flush; recording status never blocks
 * or fails the pipeline (a failed flush is logged and its updates retried with the next one).
 */
import type { Logger } from '../log/logger.ts';
import { recordPhases, type Phase, type PhaseUpdate } from '../storage/jobs.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { HEADERS } from '../topics/headers.ts';
import type { InputMessage, StageResult } from './stage.ts';

/** The phase a document enters once a stage's outputs for it are durable. */
const NEXT_PHASE: Record<string, Phase> = { chunk: 'embedding', embed: 'aggregation', minister: 'storage', store: 'storage' };
/** The phase a document is in while a stage works on it (only the chunk stage adds one). */
const TAKEN_PHASE: Record<string, Phase> = { chunk: 'chunking' };

const MAX_BUFFER = 50_000;

export class JobTracker {
  private buffer: PhaseUpdate[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly client: SqlClient,
    private readonly stage: string,
    private readonly storedTopic: string,
    private readonly logger: Logger,
    flushEveryMs = 500,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  private push(update: PhaseUpdate): void {
    if (this.buffer.length < MAX_BUFFER) this.buffer.push(update);
  }

  taken(inputs: readonly InputMessage[]): void {
    const phase = TAKEN_PHASE[this.stage];
    if (!phase) return;
    for (const input of inputs) {
      const jobId = input.headers[HEADERS.job];
      if (jobId && input.key) this.push({ jobId, docId: input.key.toString('utf8'), phase, stage: this.stage });
    }
  }

  result(result: StageResult): void {
    const jobId = result.input.headers[HEADERS.job];
    if (!jobId) return;
    const docId = result.input.key?.toString('utf8') ?? '(no key)';
    if (result.poison) {
      this.push({ jobId, docId, phase: 'failed', stage: this.stage, errorCode: result.poison.code, errorMessage: result.poison.message });
      return;
    }
    for (const out of result.outputs) {
      // A stored event is keyed by its document id and carries the job in its headers.
      if (out.topic === this.storedTopic) this.push({ jobId: out.headers[HEADERS.job] ?? jobId, docId: out.key, phase: 'complete', stage: this.stage });
    }
    const next = NEXT_PHASE[this.stage];
    if (next && result.outputs.length > 0 && this.stage !== 'store') this.push({ jobId, docId, phase: next, stage: this.stage });
  }

  /** Writes buffered updates. Never rejects. */
  flush(): Promise<void> {
    if (this.flushing || this.buffer.length === 0) return this.flushing ?? Promise.resolve();
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = recordPhases(this.client, batch)
      .catch((error: unknown) => {
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
