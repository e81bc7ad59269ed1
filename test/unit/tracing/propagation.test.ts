import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE } from '../../../src/dataflow/pipeline.ts';
import { carriedHeaders, HEADERS } from '../../../src/topics/headers.ts';
import type { Embedder } from '../../../src/embedding/types.ts';
import { ATTR_DOCUMENT_ID, ATTR_EMBED_BATCH_SIZE, contextFromHeaders, endSpan, startPublishSpan, startStageSpan, tracedEmbedder, withBatchSpans, withTraceContext } from '../../../src/tracing/spans.ts';

// The SDK as ../../../src/tracing/sdk.ts starts it, exporting to memory (vitest isolates files).
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
afterAll(() => provider.shutdown());
beforeEach(() => exporter.reset());

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

const fakeEmbedder: Embedder = { model: 'fake', dimension: 2, kind: 'lexical', embed: async (texts) => texts.map(() => new Float32Array([1, 0])) };

/** What a stage runner does with one record: a span from its headers, outputs carrying the span's context. */
function stageHop(stage: string, headers: Record<string, string>, docId: string): { headers: Record<string, string>; span: ReturnType<typeof startStageSpan> } {
  const span = startStageSpan(stage, { topic: `era.${stage}`, partition: 0, offset: '7', key: Buffer.from(docId), headers });
  const out = withTraceContext(carriedHeaders(headers), span);
  endSpan(span);
  return { headers: out, span };
}

describe('trace context in Kafka headers', () => {
  it('writes a traceparent of the publish span into the published record', () => {
    const headers = { [HEADERS.trace]: 'abc' };
    const span = startPublishSpan('era.raw', { key: 'doc-1', headers });
    const out = withTraceContext(headers, span);
    endSpan(span);
    const [, traceId, spanId] = TRACEPARENT.exec(out.traceparent ?? '')!;
    expect(traceId).toBe(span.spanContext().traceId);
    expect(spanId).toBe(span.spanContext().spanId);
    expect(out[HEADERS.trace]).toBe('abc');
    expect(headers).not.toHaveProperty('traceparent'); // a new object: the caller's headers are untouched
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.name).toBe('publish');
    expect(finished?.kind).toBe(SpanKind.PRODUCER);
    expect(finished?.attributes[ATTR_DOCUMENT_ID]).toBe('doc-1');
  });

  it('chains publish → chunk → embed → minister → store as parent and child, one trace', () => {
    const publish = startPublishSpan('era.raw', { key: 'doc-2', headers: {} });
    let headers = withTraceContext({ [HEADERS.job]: 'job-1' }, publish);
    endSpan(publish);
    const spans = [publish];
    for (const stage of PIPELINE.stageNames) {
      const hop = stageHop(stage, headers, 'doc-2');
      headers = hop.headers;
      spans.push(hop.span);
    }
    expect(headers[HEADERS.job]).toBe('job-1');
    const finished = exporter.getFinishedSpans();
    expect(finished.map((s) => s.name)).toEqual(['publish', ...PIPELINE.stageNames]);
    for (let i = 1; i < finished.length; i += 1) {
      expect(finished[i]!.spanContext().traceId).toBe(publish.spanContext().traceId);
      expect(finished[i]!.parentSpanContext?.spanId).toBe(finished[i - 1]!.spanContext().spanId);
      expect(finished[i]!.attributes[ATTR_DOCUMENT_ID]).toBe('doc-2');
      expect(finished[i]!.kind).toBe(SpanKind.CONSUMER);
    }
  });

  it('starts a new trace for a record without a traceparent, and ignores a malformed one', () => {
    const span = startStageSpan('chunk', { key: 'doc-3', headers: { traceparent: 'not-a-traceparent' } });
    endSpan(span);
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
    expect(trace.getSpanContext(contextFromHeaders({}))).toBeUndefined();
  });

  it('marks a dead-lettered input\'s span as failed with its code', () => {
    const span = startStageSpan('embed', { key: 'doc-4', headers: {} });
    endSpan(span, { code: 'EMBEDDER_REJECTED_INPUT', message: 'bad input' });
    const [finished] = exporter.getFinishedSpans();
    expect(finished?.status).toMatchObject({ code: 2, message: 'bad input' });
    expect(finished?.attributes['error.type']).toBe('EMBEDDER_REJECTED_INPUT');
  });
});

describe('embedder request spans', () => {
  it('makes one span per request with the batch size, a child of the batch\'s first input and linked to the rest', async () => {
    const first = startStageSpan('embed', { key: 'doc-5', headers: {} });
    const second = startStageSpan('embed', { key: 'doc-6', headers: {} });
    const embedder = tracedEmbedder(fakeEmbedder);
    const vectors = await withBatchSpans([first, second], () => embedder.embed(['a', 'b', 'c']));
    endSpan(first);
    endSpan(second);
    expect(vectors).toHaveLength(3);
    const request = exporter.getFinishedSpans().find((s) => s.name === 'embed request')!;
    expect(request.attributes[ATTR_EMBED_BATCH_SIZE]).toBe(3);
    expect(request.kind).toBe(SpanKind.CLIENT);
    expect(request.parentSpanContext?.spanId).toBe(first.spanContext().spanId);
    expect(request.links.map((l) => l.context.spanId)).toEqual([second.spanContext().spanId]);
  });

  it('makes no span outside a stage (minister profiles built at start)', async () => {
    await tracedEmbedder(fakeEmbedder).embed(['a']);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
