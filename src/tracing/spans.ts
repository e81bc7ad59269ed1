/**
 * Spans of the pipeline and the W3C trace context (`traceparent`, `tracestate`) in Kafka
 * headers. Used by the runners and ports only (the publisher, the Kafka stage runner, the
 * embedder wrapper): transforms stay pure and never see a span.
 *
 * Shape of a trace (one per published document):
 *
 *   publish ─▶ chunk ─▶ embed ─▶ minister ─▶ store        (each a child of the one before)
 *                          └▶ embed request                (one per embedder call: batch size)
 *
 * Every span carries the document id (`era.document.id`), the topic, partition and offset
 * (`messaging.*`). A stage span covers one input record, from when the runner takes it to when
 * its outputs are acknowledged (or it is dead-lettered); its context becomes the `traceparent`
 * of the outputs. Per-input child spans rather than one batch span with links: the parent
 * order publish → chunk → embed → minister → store is then the trace tree itself, which every
 * trace viewer shows, and a batch mixes documents of many traces. After the chunk stage one
 * input is one chunk, so a document has one chunk span and one span per chunk in each later
 * stage. An embedder request serves a batch of inputs, possibly of several traces: it is a
 * child of the batch's first input span and links the others.
 *
 * With tracing off (./sdk.ts) the API is the no-op one: spans are non-recording, nothing is
 * injected, and the incoming `traceparent` is carried to the outputs unchanged.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type TextMapGetter } from '@opentelemetry/api';
import type { Embedder } from '../embedding/types.ts';
import type { Headers } from '../topics/headers.ts';

/** Span attribute: the document a span is about. */
export const ATTR_DOCUMENT_ID = 'era.document.id';
/** Span attribute: the number of texts in one embedder request. */
export const ATTR_EMBED_BATCH_SIZE = 'era.embed.batch_size';

const TRACER = 'era-ingest';

const getter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The trace context in `headers` (the root context when there is none or it is malformed). */
export function contextFromHeaders(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

/**
 * `headers` with the trace context of `span` written in (`traceparent`, `tracestate`), as a new
 * object. A non-recording span of tracing off changes nothing: what was carried stays.
 */
export function withTraceContext(headers: Headers, span: Span): Headers {
  if (!span.isRecording()) return headers;
  const out: Headers = { ...headers };
  propagation.inject(trace.setSpan(context.active(), span), out);
  return out;
}

/** What a span needs of a Kafka record. */
export interface TracedRecord {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly key: string | Buffer | null;
  readonly headers: Headers;
}

function recordAttributes(record: TracedRecord, operation: 'send' | 'process'): Record<string, string | number> {
  const attributes: Record<string, string | number> = { 'messaging.system': 'kafka', 'messaging.operation.type': operation };
  if (record.key !== null) attributes[ATTR_DOCUMENT_ID] = typeof record.key === 'string' ? record.key : record.key.toString('utf8');
  if (record.topic !== undefined) attributes['messaging.destination.name'] = record.topic;
  if (record.partition !== undefined) attributes['messaging.destination.partition.id'] = String(record.partition);
  if (record.offset !== undefined) attributes['messaging.kafka.offset'] = Number(record.offset);
  return attributes;
}

/**
 * A `publish` span (PRODUCER) for a record about to be sent to `topic`: a child of the record's
 * own trace context when it has one (a replayed dead letter), else a new trace.
 */
export function startPublishSpan(topic: string, record: TracedRecord): Span {
  return trace.getTracer(TRACER).startSpan('publish', { kind: SpanKind.PRODUCER, attributes: recordAttributes({ ...record, topic }, 'send') }, contextFromHeaders(record.headers));
}

/** The span of stage `stage` (CONSUMER) for one consumed record, a child of the span that produced it. */
export function startStageSpan(stage: string, record: TracedRecord): Span {
  const span = trace.getTracer(TRACER).startSpan(stage, { kind: SpanKind.CONSUMER, attributes: { ...recordAttributes(record, 'process'), 'era.stage': stage } }, contextFromHeaders(record.headers));
  return span;
}

/** Ends `span`, marking it failed with `error` when given. */
export function endSpan(span: Span, error?: { code?: string; message: string }): void {
  if (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    if (error.code !== undefined) span.setAttribute('error.type', error.code);
  }
  span.end();
}

/**
 * Runs `fn` with the batch's spans as the active context: the first as the parent of spans made
 * inside (an embedder request), the rest remembered for links.
 */
export function withBatchSpans<T>(spans: readonly Span[], fn: () => T): T {
  const recording = spans.filter((s) => s.isRecording());
  if (!recording.length) return fn();
  const ctx = trace.setSpan(context.active(), recording[0]!).setValue(BATCH_LINKS, recording.slice(1).map((s): Link => ({ context: s.spanContext() })));
  return context.with(ctx, fn);
}

const BATCH_LINKS = Symbol.for('era-ingest.batch-links');

/**
 * `embedder` with one `embed request` span (CLIENT) per call: the batch size and the model as
 * attributes, a child of the active span (`withBatchSpans`). With tracing off, or outside a stage
 * span, a call passes straight through (one no-op lookup of the active span).
 */
export function tracedEmbedder(embedder: Embedder): Embedder {
  const tracer = trace.getTracer(TRACER);
  return {
    get model() { return embedder.model; },
    get dimension() { return embedder.dimension; },
    get kind() { return embedder.kind; },
    async embed(texts, signal) {
      const active = context.active();
      if (!trace.getSpan(active)?.isRecording()) return embedder.embed(texts, signal);
      const links = (active.getValue(BATCH_LINKS) as Link[] | undefined) ?? [];
      const span = tracer.startSpan('embed request', { kind: SpanKind.CLIENT, links, attributes: { [ATTR_EMBED_BATCH_SIZE]: texts.length, 'gen_ai.request.model': embedder.model } }, active);
      try {
        return await embedder.embed(texts, signal);
      } catch (error) {
        endSpan(span, { code: (error as { code?: string }).code, message: (error as Error).message });
        throw error;
      } finally {
        if (span.isRecording()) span.end();
      }
    },
    ...(embedder.close ? { close: () => embedder.close!() } : {}),
  };
}
