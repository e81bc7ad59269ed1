/** Header names (DESIGN.md §3). `job`, `publishedAt` and `trace` are carried from every input message to all its outputs. */
export const HEADERS = {
  job: 'era.job',
  /** ms epoch of the publish: for end-to-end latency only (never a version). */
  publishedAt: 'era.published.at',
  trace: 'era.trace',
  /**
   * The version a raw record claims, older than its own offset (set by `dlq replay`, so a
   * replayed record keeps its place in the order; carried by the priority lane's appended copy).
   */
  version: 'era.version',
} as const;

/** On `era.reembed` records: the model the chunk is to be embedded with. */
export const REEMBED_MODEL_HEADER = 'era.reembed.model';

/** Dead-letter headers (same information as Kafka Connect's `__connect.errors.*`). */
export const DLQ_HEADERS = {
  stage: 'era.dlq.stage',
  errorCode: 'era.dlq.error.code',
  errorMessage: 'era.dlq.error.message',
  errorStack: 'era.dlq.error.stack',
  originalTopic: 'era.dlq.original.topic',
  originalPartition: 'era.dlq.original.partition',
  originalOffset: 'era.dlq.original.offset',
  originalTimestamp: 'era.dlq.original.timestamp',
  consumerGroup: 'era.dlq.consumer.group',
  attempts: 'era.dlq.attempts',
  failedAt: 'era.dlq.failed.at',
} as const;

/** Headers on the wire: kafkajs gives Buffers (or arrays of them); we keep strings. */
export type Headers = Record<string, string>;

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): carried unchanged like `era.trace`;
 * a runner with tracing on replaces it with its own span's (src/tracing/spans.ts).
 */
export const TRACE_CONTEXT = { parent: 'traceparent', state: 'tracestate' } as const;

/** The carried headers of an input, ready to be copied to its outputs. */
export function carriedHeaders(headers: Headers): Headers {
  const out: Headers = {};
  for (const name of [HEADERS.job, HEADERS.publishedAt, HEADERS.trace, TRACE_CONTEXT.parent, TRACE_CONTEXT.state]) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
