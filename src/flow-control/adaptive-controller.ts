/**
 * Adaptive rate controller (DESIGN.md §5): a pure state machine `tick(observation, nowMs) →
 * decision`. The wiring owns the timer, gathers the observation (downstream lag from the admin
 * API, in-flight counts, dependency health), applies `decision.rate` to the token bucket and
 * pauses every partition while `decision.pauseAll`.
 *
 * Rules, evaluated once per `sampleIntervalMs` (earlier ticks change nothing and answer 'hold'):
 * - fill = max(downstreamLag / downstreamLagLimit, inFlight / inFlightLimit).
 * - Overload — dependency errors in the sample, dependency latency over `latencyTargetMs`, or
 *   fill > highWater — multiplies the rate by `decreaseFactor` at once, every sample.
 * - fill < lowWater on `increaseAfter` consecutive samples (and input lag, when reported, > 0:
 *   an idle stage does not creep up to its maximum) multiplies it by `increaseFactor`.
 * - Otherwise hold: a steady load inside [lowWater, highWater] never moves the rate, and a fill
 *   hovering around lowWater cannot alternate increase/decrease.
 * - The rate stays in [baseRate × minFactor, baseRate × maxFactor]; `action` says how the rate
 *   actually changed ('hold' when already at a bound).
 * - pauseAll turns on when fill ≥ 1 (downstream over its allowed lag) and off only once fill
 *   < highWater (hysteresis: no pause/resume flapping around 1).
 *
 * An unlimited base rate (Infinity) keeps the rate unlimited; only pauseAll then acts.
 */

export interface FlowObservation {
  /** Lag of the downstream group on this stage's output topic (committed vs end offsets). */
  downstreamLag: number;
  /** Downstream lag that counts as full (fill 1); > 0, Infinity = never full. */
  downstreamLagLimit: number;
  /** This stage's own input lag; 0 blocks increases (nothing waiting). Unset = unknown. */
  inputLag?: number;
  /** Messages this stage holds in flight; needs `inFlightLimit`. */
  inFlight?: number;
  /** In-flight limit (MAX_IN_FLIGHT); > 0. */
  inFlightLimit?: number;
  /** Dependency failures (retried errors) since the previous sample; any → decrease. */
  dependencyErrors?: number;
  /** Recent dependency latency, ms; over `latencyTargetMs` → decrease. */
  dependencyLatencyMs?: number;
}

export type FlowAction = 'decrease' | 'increase' | 'hold';

export interface FlowDecision {
  /** How `rate` changed at this tick. */
  action: FlowAction;
  /** Rate to apply to the token bucket, per second. */
  rate: number;
  /** Fill of the sample behind this decision (the previous sample on an early tick). */
  fill: number;
  /** Why, for logs. */
  reason: string;
  /** Stop taking work on every partition (the rate alone is not enough). */
  pauseAll: boolean;
}

export interface AdaptiveControllerOptions {
  /** Nominal rate per second; > 0, Infinity = unlimited. */
  baseRate: number;
  /** Starting rate, clamped to the bounds. @defaultValue baseRate */
  initialRate?: number;
  /** Ticks sooner than this after the last sample are ignored, ms. @defaultValue 5_000 */
  sampleIntervalMs?: number;
  /** Fill above which the rate decreases; in (lowWater, 1]. @defaultValue 0.8 */
  highWater?: number;
  /** Fill below which the rate increases; in [0, highWater). @defaultValue 0.3 */
  lowWater?: number;
  /** Factor on overload; in (0, 1). @defaultValue 0.5 */
  decreaseFactor?: number;
  /** Factor on spare capacity; > 1. @defaultValue 1.2 */
  increaseFactor?: number;
  /** Lowest rate = baseRate × minFactor; in (0, 1]. @defaultValue 1/3 */
  minFactor?: number;
  /** Highest rate = baseRate × maxFactor; ≥ 1. @defaultValue 3 */
  maxFactor?: number;
  /** Consecutive samples below lowWater before an increase; integer ≥ 1. @defaultValue 2 */
  increaseAfter?: number;
  /** Dependency latency over this (ms) counts as overload; unset = latency ignored. */
  latencyTargetMs?: number;
}

export interface AdaptiveControllerState {
  readonly rate: number;
  readonly paused: boolean;
  /** Consecutive samples below lowWater. */
  readonly lowStreak: number;
  readonly lastSampleAtMs: number | undefined;
  readonly lastFill: number;
}

function check(ok: boolean, name: string, value: unknown, must: string): void {
  if (!ok) throw new RangeError(`AdaptiveController ${name}=${String(value)} must be ${must}`);
}

const isCount = (x: number | undefined): boolean => x === undefined || (x >= 0 && Number.isFinite(x));

/** Fill of one observation. @throws RangeError naming the field when it is out of range. */
export function observationFill(o: FlowObservation): number {
  check(isCount(o.downstreamLag), 'downstreamLag', o.downstreamLag, 'a finite number ≥ 0');
  check(o.downstreamLagLimit > 0, 'downstreamLagLimit', o.downstreamLagLimit, '> 0');
  check(isCount(o.inputLag), 'inputLag', o.inputLag, 'a finite number ≥ 0');
  check(isCount(o.inFlight), 'inFlight', o.inFlight, 'a finite number ≥ 0');
  check(o.inFlightLimit === undefined || o.inFlightLimit > 0, 'inFlightLimit', o.inFlightLimit, '> 0');
  check((o.inFlight === undefined) === (o.inFlightLimit === undefined), 'inFlightLimit', o.inFlightLimit, 'given together with inFlight');
  check(isCount(o.dependencyErrors), 'dependencyErrors', o.dependencyErrors, 'a finite number ≥ 0');
  check(isCount(o.dependencyLatencyMs), 'dependencyLatencyMs', o.dependencyLatencyMs, 'a finite number ≥ 0');
  const downstream = o.downstreamLag / o.downstreamLagLimit;
  const inFlight = o.inFlight !== undefined && o.inFlightLimit !== undefined ? o.inFlight / o.inFlightLimit : 0;
  return Math.max(downstream, inFlight);
}

const pct = (fill: number): string => `${Math.round(fill * 100)}%`;

export class AdaptiveController {
  readonly #sampleIntervalMs: number;
  readonly #highWater: number;
  readonly #lowWater: number;
  readonly #decreaseFactor: number;
  readonly #increaseFactor: number;
  readonly #increaseAfter: number;
  readonly #latencyTargetMs: number | undefined;
  readonly #minRate: number;
  readonly #maxRate: number;
  #rate: number;
  #paused = false;
  #lowStreak = 0;
  #lastSampleAtMs: number | undefined;
  #lastFill = 0;

  /** @throws RangeError naming the option and its value when an option is out of range. */
  constructor({
    baseRate,
    initialRate = baseRate,
    sampleIntervalMs = 5_000,
    highWater = 0.8,
    lowWater = 0.3,
    decreaseFactor = 0.5,
    increaseFactor = 1.2,
    minFactor = 1 / 3,
    maxFactor = 3,
    increaseAfter = 2,
    latencyTargetMs,
  }: AdaptiveControllerOptions) {
    check(baseRate > 0, 'baseRate', baseRate, '> 0 (Infinity = unlimited)');
    check(initialRate > 0, 'initialRate', initialRate, '> 0');
    check(sampleIntervalMs >= 0 && Number.isFinite(sampleIntervalMs), 'sampleIntervalMs', sampleIntervalMs, 'a finite number ≥ 0');
    check(highWater > 0 && highWater <= 1, 'highWater', highWater, 'in (0, 1]');
    check(lowWater >= 0 && lowWater < highWater, 'lowWater', lowWater, `in [0, highWater=${highWater})`);
    check(decreaseFactor > 0 && decreaseFactor < 1, 'decreaseFactor', decreaseFactor, 'in (0, 1)');
    check(increaseFactor > 1 && Number.isFinite(increaseFactor), 'increaseFactor', increaseFactor, 'a finite number > 1');
    check(minFactor > 0 && minFactor <= 1, 'minFactor', minFactor, 'in (0, 1]');
    check(maxFactor >= 1 && Number.isFinite(maxFactor), 'maxFactor', maxFactor, 'a finite number ≥ 1');
    check(Number.isInteger(increaseAfter) && increaseAfter >= 1, 'increaseAfter', increaseAfter, 'an integer ≥ 1');
    check(latencyTargetMs === undefined || latencyTargetMs > 0, 'latencyTargetMs', latencyTargetMs, '> 0');
    this.#sampleIntervalMs = sampleIntervalMs;
    this.#highWater = highWater;
    this.#lowWater = lowWater;
    this.#decreaseFactor = decreaseFactor;
    this.#increaseFactor = increaseFactor;
    this.#increaseAfter = increaseAfter;
    this.#latencyTargetMs = latencyTargetMs;
    this.#minRate = baseRate * minFactor;
    this.#maxRate = baseRate * maxFactor;
    this.#rate = this.#clamp(initialRate);
  }

  get state(): AdaptiveControllerState {
    return { rate: this.#rate, paused: this.#paused, lowStreak: this.#lowStreak, lastSampleAtMs: this.#lastSampleAtMs, lastFill: this.#lastFill };
  }

  /**
   * Takes one sample at `nowMs` and decides. Never blocks, reads no clock.
   * @throws RangeError when `nowMs` is not finite or a field of `observation` is out of range.
   */
  tick(observation: FlowObservation, nowMs: number): FlowDecision {
    check(Number.isFinite(nowMs), 'nowMs', nowMs, 'a finite time in ms');
    if (this.#lastSampleAtMs !== undefined && nowMs - this.#lastSampleAtMs < this.#sampleIntervalMs) {
      return this.#decide('hold', this.#rate, this.#lastFill, 'sample interval not elapsed');
    }
    const fill = observationFill(observation);
    this.#lastSampleAtMs = nowMs;
    this.#lastFill = fill;
    if (fill >= 1) this.#paused = true;
    else if (fill < this.#highWater) this.#paused = false;

    const overload = this.#overload(observation, fill);
    if (overload !== undefined) {
      this.#lowStreak = 0;
      return this.#move(this.#decreaseFactor, fill, overload);
    }
    if (fill < this.#lowWater) {
      this.#lowStreak++;
      if (observation.inputLag === 0) return this.#decide('hold', this.#rate, fill, `fill ${pct(fill)} below lowWater but no input lag`);
      if (this.#lowStreak < this.#increaseAfter) {
        return this.#decide('hold', this.#rate, fill, `fill ${pct(fill)} below lowWater on ${this.#lowStreak}/${this.#increaseAfter} samples`);
      }
      return this.#move(this.#increaseFactor, fill, `fill ${pct(fill)} below lowWater ${pct(this.#lowWater)}`);
    }
    this.#lowStreak = 0;
    return this.#decide('hold', this.#rate, fill, `fill ${pct(fill)} within [${pct(this.#lowWater)}, ${pct(this.#highWater)}]`);
  }

  #overload(o: FlowObservation, fill: number): string | undefined {
    if (o.dependencyErrors !== undefined && o.dependencyErrors > 0) return `${o.dependencyErrors} dependency errors`;
    if (this.#latencyTargetMs !== undefined && o.dependencyLatencyMs !== undefined && o.dependencyLatencyMs > this.#latencyTargetMs) {
      return `dependency latency ${o.dependencyLatencyMs} ms over ${this.#latencyTargetMs} ms`;
    }
    if (fill > this.#highWater) return `fill ${pct(fill)} above highWater ${pct(this.#highWater)}`;
    return undefined;
  }

  #move(factor: number, fill: number, why: string): FlowDecision {
    const next = this.#clamp(this.#rate * factor);
    const action: FlowAction = next > this.#rate ? 'increase' : next < this.#rate ? 'decrease' : 'hold';
    this.#rate = next;
    if (action !== 'hold') return this.#decide(action, next, fill, why);
    const bound = next === Number.POSITIVE_INFINITY ? 'rate unlimited' : `rate already at its ${factor < 1 ? 'minimum' : 'maximum'}`;
    return this.#decide('hold', next, fill, `${why}; ${bound}`);
  }

  #decide(action: FlowAction, rate: number, fill: number, reason: string): FlowDecision {
    return { action, rate, fill, reason, pauseAll: this.#paused };
  }

  #clamp(rate: number): number {
    return Math.min(this.#maxRate, Math.max(this.#minRate, rate));
  }
}

/** Same as `new AdaptiveController(options)`. */
export function createAdaptiveController(options: AdaptiveControllerOptions): AdaptiveController {
  return new AdaptiveController(options);
}
