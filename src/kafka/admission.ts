/**
 * Whether a stage's source may take one more record, and whether a paused partition may resume:
 * the in-flight limits (MAX_IN_FLIGHT records, MAX_IN_FLIGHT_BYTES) and, when the stage has
 * one, its flow gate (token bucket, adaptive controller, priority lanes: ../flow-control/).
 * A record larger than the byte limit is still admitted when nothing else is in flight, or its
 * partition would stall for good. When the token bucket refuses, one timer calls `resume` as it
 * refills; a partition the controller paused resumes at the next flow sample instead.
 */
import type { OffsetTracker } from '../engine/offset-tracker.ts';
import type { FlowGate } from '../flow-control/flow-gate.ts';

export interface AdmissionOptions {
  tracker: OffsetTracker;
  maxInFlight: number;
  maxInFlightBytes: number;
  gate?: FlowGate;
  /** Resumes the paused partitions that may resume now (the source's `maybeResume`). */
  resume: () => void;
}

export class Admission {
  private resumeTimer?: NodeJS.Timeout;

  constructor(private readonly options: AdmissionOptions) {}

  /** May the source take a record of `bytes` from `topic`? (The source's `admit`.) */
  readonly admit = (topic: string, _partition: number, bytes: number): boolean => {
    if (!this.roomFor(bytes)) return false;
    const { gate } = this.options;
    if (!gate || gate.admit(topic, Date.now())) return true;
    this.scheduleResume(gate);
    return false;
  };

  /** May a paused partition of `topic` resume? (The source's `canResume`.) */
  readonly canResume = (topic: string): boolean => this.roomFor(0) && (!this.options.gate || this.options.gate.canResume(topic, Date.now()));

  /** Stops the resume timer. */
  close(): void {
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
  }

  private roomFor(bytes: number): boolean {
    const { tracker, maxInFlight, maxInFlightBytes } = this.options;
    return tracker.inFlight === 0 || (tracker.inFlight < maxInFlight && tracker.inFlightBytes + bytes <= maxInFlightBytes);
  }

  private scheduleResume(gate: FlowGate): void {
    if (this.resumeTimer) return;
    const wait = gate.msUntilOpen(Date.now());
    if (!Number.isFinite(wait)) return; // paused by the controller: the next sample resumes
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      this.options.resume();
    }, Math.max(1, wait));
  }
}
