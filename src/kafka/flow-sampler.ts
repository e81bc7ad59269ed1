/**
 * A Kafka stage's periodic flow sample, every FLOW_SAMPLE_MS: exports the age of its oldest
 * input in flight (and warns once per input past LONG_IN_FLIGHT_MS), measures the lag of its
 * group on its input topics and of the next stage's group on its output (./lag-monitor.ts),
 * exports it, and lets the adaptive controller (the flow gate) decide, with the dependency
 * retries since the last sample; resumes paused partitions unless the decision pauses them all.
 * `sample()` never rejects: a failed lag read is logged and the next sample tries again.
 */
import type { OffsetTracker } from '../engine/offset-tracker.ts';
import type { FlowGate } from '../flow-control/flow-gate.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { LagMonitor } from './lag-monitor.ts';

/** How long an input may be in flight before the runner says so (log line; era_oldest_in_flight_seconds always). */
export const LONG_IN_FLIGHT_MS = 60_000;

export interface FlowSamplerOptions {
  stage: string;
  groupId: string;
  /** The priority lane among the input topics, whose lag the controller weighs apart. */
  priorityTopic: string | undefined;
  maxInFlight: number;
  tracker: OffsetTracker;
  monitor: LagMonitor;
  metrics: Metrics;
  logger: Logger;
  flow?: { gate: FlowGate; downstreamLagLimit: number };
  /** Resumes the partitions the source paused, where admission allows. */
  resume: () => void;
}

export class FlowSampler {
  private retries = 0;
  /** The in-flight input last reported as long-running (reported once). */
  private reportedOldest: string | undefined;

  constructor(private readonly options: FlowSamplerOptions) {}

  /** A dependency failure was retried (the controller counts them per sample). */
  dependencyRetried(): void {
    this.retries += 1;
  }

  async sample(): Promise<void> {
    const { metrics, stage, groupId, priorityTopic, maxInFlight, tracker, monitor, logger, flow } = this.options;
    const label = { stage };
    this.reportLongInFlight(Date.now());
    try {
      const now = Date.now();
      const sample = await monitor.sample(now);
      let inputLag = 0;
      let priorityLag = 0;
      for (const [topic, partitions] of sample.input) {
        for (const [partition, lag] of partitions) {
          metrics.consumerLag.set({ ...label, group: groupId, topic, partition: String(partition) }, lag);
          inputLag += lag;
          if (topic === priorityTopic) priorityLag += lag;
        }
      }
      if (flow) {
        const decision = flow.gate.observe({
          downstreamLag: sample.downstream ?? 0,
          downstreamLagLimit: flow.downstreamLagLimit,
          inputLag,
          inFlight: tracker.inFlight,
          inFlightLimit: maxInFlight,
          dependencyErrors: this.retries,
        }, priorityLag, now);
        this.retries = 0;
        metrics.controllerDecisions.inc({ ...label, decision: decision.pauseAll ? 'pause' : decision.action });
        metrics.rate.set(label, Number.isFinite(decision.rate) ? decision.rate : -1);
        metrics.tokens.set(label, Math.min(flow.gate.tokens(now), Number.MAX_SAFE_INTEGER));
        if (decision.action !== 'hold' || decision.pauseAll) logger.info({ decision }, 'flow controller decision');
        if (!decision.pauseAll) this.options.resume();
      }
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'lag sample failed');
    }
  }

  /** Exports the age of the oldest input in flight; warns once per input past LONG_IN_FLIGHT_MS. */
  private reportLongInFlight(now: number): void {
    const { tracker, metrics, stage, logger } = this.options;
    const oldest = tracker.oldestInFlight();
    const ms = oldest ? now - oldest.at : 0;
    metrics.oldestInFlight.set({ stage }, ms / 1000);
    if (!oldest || ms < LONG_IN_FLIGHT_MS) return;
    const key = `${oldest.topic}:${oldest.partition}@${oldest.offset}`;
    if (key === this.reportedOldest) return;
    this.reportedOldest = key;
    logger.warn({ input: key, seconds: Math.round(ms / 1000), inFlight: tracker.inFlight }, 'an input is in flight for long: a dependency is being retried, or its work is stuck (commits of its partition wait for it)');
  }
}
