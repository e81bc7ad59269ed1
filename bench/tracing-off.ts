/**
 * What tracing costs when it is off (no OTEL_EXPORTER_OTLP_ENDPOINT): the span calls a Kafka
 * stage runner makes per input record (src/kafka/stage-runner.ts: start the stage span from the
 * record's headers, write its context into an output's headers, end it), timed in this process
 * against the OpenTelemetry API with no SDK registered — what a stage without an endpoint runs.
 * Records alternate with and without an incoming `traceparent` (a traced producer before an
 * untraced stage). The median of 5 rounds after a warm-up round.
 */
import { endSpan, startStageSpan, withTraceContext, type TracedRecord } from '../src/tracing/spans.ts';
import { tracingWanted } from '../src/tracing/sdk.ts';

export interface TracingOffFigures {
  iterations: number;
  /** µs of span calls per input record. */
  perInputUs: number;
  /** Set when OTEL_EXPORTER_OTLP_ENDPOINT is: then the figure is tracing on, not off. */
  tracingOn: boolean;
}

const RECORDS: readonly TracedRecord[] = [
  { topic: 'era.chunks', partition: 3, offset: '123456', key: 'hr/leave.md', headers: { 'era.trace': 'b6f0c3c2-6f0b-4d0e-9a57-2f7d3b1c9e41', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } },
  { topic: 'era.chunks', partition: 1, offset: '123457', key: 'hr/pay.md', headers: { 'era.trace': '2a0c9f51-0e0b-4a3c-8f52-6d1e7b9c0a13' } },
];

export function measureTracingOff(iterations = 200_000): TracingOffFigures {
  const round = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) {
      const record = RECORDS[i & 1]!;
      const span = startStageSpan('embed', record);
      withTraceContext(record.headers, span);
      endSpan(span);
    }
    return ((performance.now() - t0) * 1000) / iterations;
  };
  round();
  const rounds = Array.from({ length: 5 }, round).sort((a, b) => a - b);
  return { iterations, perInputUs: rounds[2]!, tracingOn: tracingWanted() };
}
