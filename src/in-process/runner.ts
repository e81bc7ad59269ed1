/**
 * The in-process runner: every stage of a dataflow in one process, connected by Node streams
 * (`stream.pipeline`) instead of topics — the same transforms, the same failure handling
 * (src/engine/process-batch.ts: retry with backoff up to the policy's deadline, poison isolated
 * per input) as the Kafka runner:
 *
 *   source ─▶ [batch ─▶ process ─▶ route] per stage ─▶ last stage's outputs ─▶ onOutput
 *                                     └─▶ poison ─▶ deadLetters (the store's dead_letters table)
 *
 * Backpressure runs from the last stage back to the source (each step accepts an item only when
 * it has room), so memory stays bounded whatever the corpus size. A dead letter never aborts
 * the run; it is recorded and reported. The run stops with an error when a dependency stays
 * down past the retry deadline, when the share of dead letters passes DLQ_MAX_RATIO, or on the
 * signal (SHUTDOWN); the outputs made durable until then stay.
 */
import { Readable, Transform as StreamTransform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dataflow, StageSpec } from '../dataflow/declare.ts';
import type { StageContext, Transform } from '../stages/transform.ts';
import type { RetryPolicy } from '../config/retry-policy.ts';
import { retry } from '../engine/backoff.ts';
import { DlqLimiter } from '../engine/dlq-limiter.ts';
import type { Outcome } from '../engine/outcome.ts';
import { processBatch } from '../engine/process-batch.ts';
import { batchStep, orderedParallelStep } from '../engine/steps.ts';
import { PipelineError } from '../errors/pipeline-error.ts';
import type { Messages } from '../topics/messages.ts';

/** A message and where its document came from (a file, a line of stdin): for reports. */
export interface Envelope<T> {
  readonly value: T;
  readonly origin: string;
}

/** A poison input of a stage, to be recorded. */
export interface DeadLetter {
  readonly stage: StageSpec;
  readonly input: Envelope<unknown>;
  readonly error: PipelineError;
  readonly attempts: number;
}

export interface InProcessOptions {
  flow: Dataflow;
  /** What every transform factory receives (configuration, shared resources, observer, clock). */
  context: StageContext;
  retryPolicy: RetryPolicy;
  /** Records dead letters durably; retried like any dependency when it fails. */
  deadLetters: (letters: readonly DeadLetter[]) => Promise<void>;
  /** Every outcome of every stage, once its dead letters are recorded (reports, counters). */
  onOutcome?: (stage: StageSpec, outcome: Outcome<Envelope<unknown>, unknown>) => void;
  /** Retries of a failing dependency (progress display, logs). */
  onRetry?: (stage: StageSpec, error: unknown, attempt: number, delayMs: number) => void;
  /** Limit on the share of dead letters (DLQ_MAX_RATIO over DLQ_WINDOW) per stage. */
  dlqLimit: { maxRatio: number; window: number };
  signal?: AbortSignal;
  /**
   * The stage `source` feeds (its input kind): the stages before it are not run. A replay of a
   * stage's dead letters enters there, as `dlq replay` re-publishes to the stage's input topic.
   * @defaultValue the first stage (the source gives raw entries)
   */
  from?: StageSpec;
}

type Source<T> = AsyncIterable<Envelope<T>> | Iterable<Envelope<T>>;

/** Runs `source` through every stage of `options.flow` (from `options.from`). Resolves when the last output is durable. */
export async function runInProcess(source: Source<Messages['raw']>, options: InProcessOptions & { from?: undefined }): Promise<void>;
export async function runInProcess(source: Source<unknown>, options: InProcessOptions): Promise<void>;
export async function runInProcess(source: Source<unknown>, options: InProcessOptions): Promise<void> {
  const { context } = options;
  const start = options.from === undefined ? 0 : options.flow.stages.indexOf(options.from);
  if (start < 0) throw new RangeError(`runInProcess: stage ${options.from?.name} is not a stage of this dataflow`);
  const stages = options.flow.stages.slice(start);
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(new PipelineError('SHUTDOWN', 'the run was interrupted'));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const transforms: Array<Transform<unknown, unknown>> = [];
  const inFlight = new Set<Promise<unknown>>();
  try {
    for (const spec of stages) {
      // A dependency that is still starting (Ollama loading the model) is waited for like any outage.
      const hooks = { signal: abort.signal, onRetry: (error: unknown, attempt: number, delayMs: number) => options.onRetry?.(spec, error, attempt, delayMs) };
      transforms.push((await retry(() => spec.create(context), options.retryPolicy, hooks)).value as Transform<unknown, unknown>);
    }
    const steps = stages.flatMap((spec, i) => stageSteps(spec, transforms[i]!, options, abort.signal, inFlight));
    await pipeline([Readable.from(source), ...steps, new Writable({ objectMode: true, write: (_item, _encoding, callback) => callback() })], { signal: abort.signal });
  } catch (error) {
    // Stop every other batch still retrying, and let those still running finish, before the
    // caller closes the store and the embedder under them.
    abort.abort(error);
    await Promise.allSettled(inFlight);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(transforms.map(async (t) => t.close?.()));
  }
}

/** One stage as stream steps: batch its inputs, process them, hand on outputs and record poison. */
function stageSteps(spec: StageSpec, transform: Transform<unknown, unknown>, options: InProcessOptions, signal: AbortSignal, inFlight: Set<Promise<unknown>>): StreamTransform[] {
  const limiter = new DlqLimiter(options.dlqLimit);
  const hooks = { signal, onRetry: (error: unknown, attempt: number, delayMs: number) => options.onRetry?.(spec, error, attempt, delayMs) };
  const process = (batch: Envelope<unknown>[]): Promise<Outcome<Envelope<unknown>, unknown>[]> => {
    const running = processBatch(transform, batch, { decode: (e) => e.value, retryPolicy: options.retryPolicy, hooks });
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running)).catch(() => undefined);
    return running;
  };

  const route = new StreamTransform({
    objectMode: true,
    highWaterMark: 1,
    transform(outcomes: Outcome<Envelope<unknown>, unknown>[], _encoding, callback) {
      const letters = outcomes.flatMap((o) => (o.poison ? [{ stage: spec, input: o.input, error: o.poison, attempts: o.attempts }] : []));
      const record = letters.length ? retry(() => options.deadLetters(letters), options.retryPolicy, hooks) : Promise.resolve();
      record.then(() => {
        let halted = false;
        for (const outcome of outcomes) {
          options.onOutcome?.(spec, outcome);
          if (limiter.record(outcome.poison !== undefined)) halted = true;
          for (const value of outcome.outputs) this.push({ value, origin: outcome.input.origin } satisfies Envelope<unknown>);
        }
        if (halted) {
          throw new PipelineError('DLQ_LIMIT_EXCEEDED', `stage ${spec.name}: more than DLQ_MAX_RATIO of the last DLQ_WINDOW inputs were rejected (ratio ${limiter.ratio.toFixed(2)}): stopping instead of rejecting the rest one by one; see them with \`era-ingest dlq list --data-dir <dir>\` (or --db), fix the cause and run again`);
        }
      }).then(() => callback(), (error: unknown) => callback(error as Error));
    },
  });
  return [batchStep<Envelope<unknown>>(transform.batch.size, transform.batch.lingerMs), orderedParallelStep(process, transform.concurrency), route];
}
