/**
 * Token bucket (DESIGN.md §5: "gates how fast a stage takes work"): `ratePerSec` tokens accrue
 * per second up to `burst`; taking work costs tokens.
 *
 * - Holds no clock and no timer: every call takes the time in ms, and tokens are refilled lazily
 *   from the time elapsed since the previous call. Time that goes backwards counts as no time.
 * - `tryTake` never blocks; when it says no, the caller pauses and schedules ONE wake-up after
 *   `msUntil(n)` (the Kafka source: pause the partition, `maybeResume()` later). No polling.
 * - `ratePerSec = Infinity` is unlimited: every take succeeds and `burst` is ignored.
 *   `ratePerSec = 0` is closed: nothing is taken and nothing accrues until `setRate` opens the
 *   bucket again; tokens held when it closed are kept (frozen), not lost.
 */

export interface TokenBucketOptions {
  /** Tokens added per second; ≥ 0. `Infinity` = unlimited, `0` = closed until `setRate`. */
  ratePerSec: number;
  /** Most tokens the bucket holds (largest single take while limited); finite, > 0. */
  burst: number;
  /** Time of construction, ms (any monotonic or wall clock, used consistently). */
  nowMs: number;
  /** Tokens at construction, in [0, burst]. @defaultValue burst (starts full) */
  initialTokens?: number;
}

/** Absolute slack for float rounding: a wait of `msUntil(n)` must make `tryTake(n)` succeed. */
const slack = (n: number): number => 1e-9 * Math.max(1, n);

function checkRate(ratePerSec: number): void {
  if (!(ratePerSec >= 0)) throw new RangeError(`TokenBucket ratePerSec=${ratePerSec} must be ≥ 0 (Infinity = unlimited, 0 = closed)`);
}

function checkCount(n: number): void {
  if (!(n >= 0 && Number.isFinite(n))) throw new RangeError(`TokenBucket n=${n} must be a finite number ≥ 0`);
}

function checkTime(nowMs: number): void {
  if (!Number.isFinite(nowMs)) throw new RangeError(`TokenBucket nowMs=${nowMs} must be a finite time in ms`);
}

export class TokenBucket {
  readonly #burst: number;
  #rate: number;
  #tokens: number;
  #lastMs: number;

  /** @throws RangeError naming the option when an option is out of range. */
  constructor({ ratePerSec, burst, nowMs, initialTokens = burst }: TokenBucketOptions) {
    checkRate(ratePerSec);
    if (!(burst > 0 && Number.isFinite(burst))) throw new RangeError(`TokenBucket burst=${burst} must be a finite number > 0`);
    checkTime(nowMs);
    if (!(initialTokens >= 0 && initialTokens <= burst)) throw new RangeError(`TokenBucket initialTokens=${initialTokens} must be in [0, burst=${burst}]`);
    this.#rate = ratePerSec;
    this.#burst = burst;
    this.#tokens = initialTokens;
    this.#lastMs = nowMs;
  }

  /** Current rate, tokens per second (Infinity = unlimited, 0 = closed). */
  get ratePerSec(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** Tokens that can be taken at `nowMs`: Infinity when unlimited, 0 when closed. */
  available(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#rate === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    return this.#rate === 0 ? 0 : this.#tokens;
  }

  /**
   * Takes `n` tokens at `nowMs` if there are that many; never blocks, takes nothing on false.
   * `n = 0` always succeeds. While limited, `n > burst` never succeeds.
   * @throws RangeError when `n` is negative or not finite.
   */
  tryTake(n: number, nowMs: number): boolean {
    checkCount(n);
    this.#refill(nowMs);
    if (n === 0 || this.#rate === Number.POSITIVE_INFINITY) return true;
    if (this.#rate === 0 || this.#tokens + slack(n) < n) return false;
    this.#tokens = Math.max(0, this.#tokens - n);
    return true;
  }

  /**
   * Whole ms from `nowMs` until `tryTake(n)` would succeed at the current rate: 0 when it would
   * now, Infinity when it never will without `setRate` (closed, or `n > burst` while limited).
   * Pure query: takes nothing.
   */
  msUntil(n: number, nowMs: number): number {
    checkCount(n);
    this.#refill(nowMs);
    if (n === 0 || this.#rate === Number.POSITIVE_INFINITY) return 0;
    if (this.#rate === 0 || n > this.#burst) return Number.POSITIVE_INFINITY;
    const deficit = n - this.#tokens;
    if (deficit <= slack(n)) return 0;
    return Math.max(1, Math.ceil((deficit * 1000) / this.#rate));
  }

  /**
   * Changes the rate from `nowMs` on. Tokens accrued so far (at the old rate) are kept, clamped
   * to `burst`; leaving the unlimited rate starts full.
   * @throws RangeError when `ratePerSec` is negative or NaN.
   */
  setRate(ratePerSec: number, nowMs: number): void {
    checkRate(ratePerSec);
    this.#refill(nowMs);
    if (this.#rate === Number.POSITIVE_INFINITY) this.#tokens = this.#burst;
    this.#rate = ratePerSec;
    this.#tokens = Math.min(this.#burst, this.#tokens);
  }

  #refill(nowMs: number): void {
    checkTime(nowMs);
    if (nowMs <= this.#lastMs) return;
    if (this.#rate > 0) this.#tokens = Math.min(this.#burst, this.#tokens + ((nowMs - this.#lastMs) * this.#rate) / 1000);
    this.#lastMs = nowMs;
  }
}
