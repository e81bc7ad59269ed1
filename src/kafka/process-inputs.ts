/**
 * One batch of a stage's consumed records through its transform, as the Kafka runner's parallel
 * step runs it: counts the inputs, opens their spans (./input-spans.ts), appends the priority
 * lane's inputs to the main topic first (./priority-forwarder.ts), runs the transform
 * (../engine/process-batch.ts: decode, retry, poison, bisect) with the batch's spans active, and
 * encodes each input's outputs with the stage's span as their traceparent.
 *
 * Contract: one outcome per input, in input order for the inputs taken, then one empty outcome
 * for each input abandoned because its lane partition was lost meanwhile (its new owner appends
 * it). An output that cannot be encoded makes its input poison (INTERNAL). What is not one
 * input's fault is thrown and halts the stage: a dependency down past the deadline, SHUTDOWN,
 * CONFIG_INVALID, and any failure of the priority lane's forwarding that is not retriable.
 */
import type { RetryPolicy } from '../config/retry-policy.ts';
import { retry, type RetryHooks } from '../engine/backoff.ts';
import type { Outcome } from '../engine/outcome.ts';
import { isFatal, processBatch } from '../engine/process-batch.ts';
import { toPipelineError } from '../errors/pipeline-error.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { HEADERS } from '../topics/headers.ts';
import { withBatchSpans, withTraceContext } from '../tracing/spans.ts';
import type { InputSpans } from './input-spans.ts';
import type { PriorityForwarder } from './priority-forwarder.ts';
import type { InputMessage, StageOutcome } from './records.ts';
import type { KafkaStageBinding } from './stage-binding.ts';

export interface InputProcessorOptions<In, Out> {
  binding: KafkaStageBinding<In, Out>;
  metrics: Metrics;
  spans: InputSpans;
  /** The priority lane's forwarder, when the stage reads a lane. */
  forwarder?: PriorityForwarder;
  retryPolicy: RetryPolicy;
  hooks: RetryHooks & { signal: AbortSignal };
  /** Called when a batch of inputs is taken for processing (job tracking). */
  onTaken?: (inputs: readonly InputMessage[]) => void;
}

/** The function that processes one batch (see the file's contract). */
export function inputProcessor<In, Out>(options: InputProcessorOptions<In, Out>): (inputs: InputMessage[]) => Promise<StageOutcome<Out>[]> {
  const { binding, metrics, spans, retryPolicy, hooks } = options;
  const label = { stage: binding.name };
  return async (inputs) => {
    const end = metrics.processingSeconds.startTimer(label);
    for (const input of inputs) metrics.messagesIn.inc({ ...label, topic: input.topic });
    options.onTaken?.(inputs);
    spans.start(inputs);
    try {
      const { taken, abandoned } = await forwardPriority(options, inputs);
      for (const input of abandoned) spans.end(input, { message: 'abandoned: the priority lane partition was revoked' });
      const outcomes = await withBatchSpans(taken.map((input) => spans.get(input)!), () =>
        processBatch(binding.transform, taken, { decode: (m) => binding.decode(m), retryPolicy, hooks }));
      const encoded = await Promise.all(outcomes.map((o) => encode(options, o)));
      return [...encoded, ...abandoned.map((input): StageOutcome<Out> => ({ input, outputs: [] }))];
    } finally {
      end();
    }
  };
}

/**
 * Appends the priority lane's inputs to the main topic and writes the version each got into its
 * `era.version` header, where decoding reads it. Inputs of a lane partition this member lost
 * meanwhile are abandoned.
 */
async function forwardPriority<In, Out>({ forwarder, retryPolicy, hooks }: InputProcessorOptions<In, Out>, inputs: InputMessage[]): Promise<{ taken: InputMessage[]; abandoned: InputMessage[] }> {
  if (!forwarder) return { taken: inputs, abandoned: [] };
  const { value: forwarded } = await retry(() => forwarder.forward(inputs), retryPolicy, hooks);
  for (const [message, version] of forwarded.versions) (message.headers as Record<string, string>)[HEADERS.version] = String(version);
  const abandoned = new Set(forwarded.abandoned);
  return { taken: inputs.filter((m) => !abandoned.has(m)), abandoned: forwarded.abandoned };
}

/** Encodes an outcome's outputs; an output that cannot be encoded makes its input poison (INTERNAL). */
async function encode<In, Out>({ binding, spans, retryPolicy, hooks }: InputProcessorOptions<In, Out>, outcome: Outcome<InputMessage, Out>): Promise<StageOutcome<Out>> {
  if (outcome.poison) return outcome;
  try {
    // One retry loop for the outcome (a registry outage would otherwise retry every output on its own).
    const span = spans.get(outcome.input);
    const encodeAll = () => Promise.all(outcome.outputs.map(async (value) => {
      const record = await binding.encode(value, outcome.input);
      // The outputs' traceparent is this stage's span (the input's is carried when tracing is off).
      return { value, record: span ? { ...record, headers: withTraceContext(record.headers, span) } : record };
    }));
    return { input: outcome.input, outputs: (await retry(encodeAll, retryPolicy, hooks)).value };
  } catch (error) {
    if (isFatal(error)) throw error;
    return { input: outcome.input, outputs: [], poison: toPipelineError(error), attempts: 1 };
  }
}
