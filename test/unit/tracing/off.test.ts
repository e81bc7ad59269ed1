import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { carriedHeaders, HEADERS } from '../../../src/topics/headers.ts';
import { startTracing, tracingWanted } from '../../../src/tracing/sdk.ts';
import { startPublishSpan, startStageSpan, withTraceContext } from '../../../src/tracing/spans.ts';

const UPSTREAM = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('tracing off', () => {
  it('is wanted only with an OTLP endpoint and not disabled', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('starts no SDK when no endpoint is set: spans are no-ops', async () => {
    const tracing = await startTracing({ name: 'era-ingest-test', version: '0.0.0' }, {});
    expect(tracing.enabled).toBe(false);
    await tracing.shutdown();
    const span = startPublishSpan('era.raw', { key: 'doc-1', headers: {} });
    expect(span.isRecording()).toBe(false);
    expect(trace.getTracerProvider().constructor.name).toBe('ProxyTracerProvider');
  });

  it('writes no traceparent, and carries an upstream one unchanged through a stage', () => {
    const published = withTraceContext({ [HEADERS.trace]: 't' }, startPublishSpan('era.raw', { key: 'doc-1', headers: {} }));
    expect(published).not.toHaveProperty('traceparent');
    const input = { [HEADERS.trace]: 't', traceparent: UPSTREAM, tracestate: 'k=v' };
    const out = withTraceContext(carriedHeaders(input), startStageSpan('chunk', { key: 'doc-1', headers: input }));
    expect(out).toEqual({ [HEADERS.trace]: 't', traceparent: UPSTREAM, tracestate: 'k=v' });
  });
});
