/**
 * Admission for a stage's source (DESIGN.md §5): the token bucket sets the pace, the adaptive
 * controller moves the rate from lag observations and can pause everything, and the priority
 * lanes serve `era.raw.priority` before `era.raw` with a starvation guard. Pure: the time is
 * passed in; the runner owns the timers (resume after `msUntilOpen`, controller ticks).
 */
import { AdaptiveController, type AdaptiveControllerOptions, type FlowDecision, type FlowObservation } from './adaptive-controller.ts';
import { PriorityLanes } from './priority-lanes.ts';
import { TokenBucket } from './token-bucket.ts';

export interface FlowGateOptions {
  /** Base rate, messages/s (Infinity = unlimited). */
  ratePerSec: number;
  burst: number;
  nowMs: number;
  controller?: Omit<AdaptiveControllerOptions, 'baseRate'>;
  /** The priority lane's topic; other topics are the normal lane. */
  priorityTopic?: string;
  minNormalShare?: number;
}

export class FlowGate {
  private readonly bucket: TokenBucket;
  private readonly controller: AdaptiveController;
  private readonly lanes?: PriorityLanes;
  private paused = false;
  private priorityLag = false;

  constructor(private readonly options: FlowGateOptions) {
    this.bucket = new TokenBucket({ ratePerSec: options.ratePerSec, burst: options.burst, nowMs: options.nowMs });
    this.controller = new AdaptiveController({ baseRate: options.ratePerSec, ...options.controller });
    if (options.priorityTopic) this.lanes = new PriorityLanes({ minNormalShare: options.minNormalShare ?? 0.1 });
  }

  private lane(topic: string): 'priority' | 'normal' {
    return topic === this.options.priorityTopic ? 'priority' : 'normal';
  }

  /** Admits one message of `topic` now (takes a token and records the lane) or refuses. */
  admit(topic: string, nowMs: number): boolean {
    if (this.paused) return false;
    if (this.lanes && !this.lanes.wouldAdmit(this.lane(topic), this.priorityLag)) return false;
    if (!this.bucket.tryTake(1, nowMs)) return false;
    this.lanes?.admit(this.lane(topic), this.priorityLag);
    return true;
  }

  /** Whether a paused partition of `topic` may resume now (takes nothing). */
  canResume(topic: string, nowMs: number): boolean {
    if (this.paused) return false;
    if (this.lanes && !this.lanes.wouldAdmit(this.lane(topic), this.priorityLag)) return false;
    return this.bucket.msUntil(1, nowMs) === 0;
  }

  /** ms until a token is available (Infinity while paused or closed). */
  msUntilOpen(nowMs: number): number {
    return this.paused ? Number.POSITIVE_INFINITY : this.bucket.msUntil(1, nowMs);
  }

  /** Feeds a lag observation; applies the decision to the bucket and the pause flag. */
  observe(observation: FlowObservation, priorityLag: number, nowMs: number): FlowDecision {
    this.priorityLag = priorityLag > 0;
    const decision = this.controller.tick(observation, nowMs);
    this.paused = decision.pauseAll;
    if (decision.rate !== this.bucket.ratePerSec) this.bucket.setRate(decision.rate, nowMs);
    return decision;
  }

  get rate(): number {
    return this.bucket.ratePerSec;
  }

  tokens(nowMs: number): number {
    return this.bucket.available(nowMs);
  }

  get pausedAll(): boolean {
    return this.paused;
  }
}
