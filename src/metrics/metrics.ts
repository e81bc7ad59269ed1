/**
 * Every metric is declared here, once: name, help, unit (in the name), fixed label keys.
 * The registry is injected (never prom-client's global), so tests and several stages in one
 * process do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'era_';

export function createMetrics(registry: Registry = new Registry(), { defaults = true } = {}) {
  if (defaults) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const r = [registry];
  return {
    registry,
    messagesIn: new Counter({ name: 'era_messages_in_total', help: 'Input records handed to the stage.', labelNames: ['stage', 'topic'] as const, registers: r }),
    messagesOut: new Counter({ name: 'era_messages_out_total', help: 'Output records acknowledged by the broker (or the database).', labelNames: ['stage', 'topic'] as const, registers: r }),
    errors: new Counter({ name: 'era_errors_total', help: 'Failures by stable error code (retried and dead-lettered).', labelNames: ['stage', 'code'] as const, registers: r }),
    dlqRecords: new Counter({ name: 'era_dlq_records_total', help: 'Inputs sent to the dead-letter topic.', labelNames: ['stage', 'code'] as const, registers: r }),
    retries: new Counter({ name: 'era_retries_total', help: 'Retries of a failing dependency (broker, database, embedder).', labelNames: ['stage', 'code'] as const, registers: r }),
    processingSeconds: new Histogram({ name: 'era_processing_seconds', help: 'Time to process one batch of inputs, retries included.', labelNames: ['stage'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r }),
    endToEndSeconds: new Histogram({ name: 'era_end_to_end_latency_seconds', help: 'Time from publish (era.published.at) to durable output of this stage.', labelNames: ['stage'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: r }),
    inFlight: new Gauge({ name: 'era_in_flight_messages', help: 'Inputs taken and not yet completed.', labelNames: ['stage'] as const, registers: r }),
    oldestInFlight: new Gauge({ name: 'era_oldest_in_flight_seconds', help: 'Age of the input in flight the longest (0 when none): grows while a dependency is retried, and without bound when an input is stuck.', labelNames: ['stage'] as const, registers: r }),
    inFlightBytes: new Gauge({ name: 'era_in_flight_bytes', help: 'Bytes of inputs taken and not yet completed.', labelNames: ['stage'] as const, registers: r }),
    pausedPartitions: new Gauge({ name: 'era_paused_partitions', help: 'Partitions paused by backpressure or flow control.', labelNames: ['stage'] as const, registers: r }),
    assignedPartitions: new Gauge({ name: 'era_assigned_partitions', help: 'Partitions assigned to this member.', labelNames: ['stage'] as const, registers: r }),
    consumerLag: new Gauge({ name: 'era_consumer_lag', help: 'End offset minus committed offset, per partition (admin API).', labelNames: ['stage', 'group', 'topic', 'partition'] as const, registers: r }),
    committedOffset: new Gauge({ name: 'era_committed_offset', help: 'Last offset committed by this member, per partition.', labelNames: ['stage', 'topic', 'partition'] as const, registers: r }),
    halted: new Gauge({ name: 'era_stage_halted', help: '1 when the stage halted on its DLQ limit or a fatal error.', labelNames: ['stage'] as const, registers: r }),
    rate: new Gauge({ name: 'era_flow_rate_per_second', help: 'Current admission rate set by the adaptive controller.', labelNames: ['stage'] as const, registers: r }),
    tokens: new Gauge({ name: 'era_flow_tokens_available', help: 'Tokens available in the token bucket.', labelNames: ['stage'] as const, registers: r }),
    controllerDecisions: new Counter({ name: 'era_flow_controller_decisions_total', help: 'Adaptive controller decisions.', labelNames: ['stage', 'decision'] as const, registers: r }),
    embedSeconds: new Histogram({ name: 'era_embed_request_seconds', help: 'Embedding request latency.', labelNames: ['stage', 'outcome'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r }),
    embedConcurrency: new Gauge({ name: 'era_embed_concurrency_limit', help: 'Current adaptive limit of concurrent embedding requests.', labelNames: ['stage'] as const, registers: r }),
    embedCacheHits: new Counter({ name: 'era_embed_cache_hits_total', help: 'Chunks whose stored embedding was reused (unchanged content).', labelNames: ['stage'] as const, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
