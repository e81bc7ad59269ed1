/**
 * Additive-increase / multiplicative-decrease concurrency limit (DESIGN.md §5: "embedding
 * concurrency adapts AIMD-style to Ollama latency and 503s"), after TCP congestion avoidance and
 * Netflix concurrency-limits' AIMDLimit.
 *
 * - Every success adds `increaseBy / limit`, so the limit grows by `increaseBy` per window of
 *   `limit` successes (one "round trip" at full concurrency), up to `max`.
 * - An overload (503, 429, timeout; or a success slower than `latencyTargetMs`; or, with
 *   `queueTolerance`, a success whose time per item is that many times the server's own) multiplies
 *   the limit by `decreaseFactor`, down to `min`. A burst of failures from the same window decreases
 *   it once: overloads within `cooldownMs` of the last decrease, or from requests that started
 *   before it, are ignored.
 * - `acquire()` is a FIFO gate honouring the current limit.
 *
 * Queueing: a server that answers one request at a time (one Ollama runner) gives no 503 when
 * sent more; each request just waits for the others, so its latency grows with the concurrency
 * while the throughput stays. With `queueTolerance` the limiter keeps the server's own time per
 * item (a minimum over recent successes that slowly forgets, so a faster past does not pin it)
 * and treats a full-sized success that took more than `queueTolerance` times that as an overload:
 * on one serial server the limit settles near `queueTolerance` (one request served, about one
 * waiting: the server never idles between requests), on servers that answer in parallel the
 * latency does not grow and the limit keeps rising to `max`.
 *
 * Holds no clock and no timer: callers pass the time in ms (tests drive it explicitly).
 */

export interface AimdLimiterOptions {
  /** Lowest limit. Integer ≥ 1. @defaultValue 1 */
  min?: number;
  /** Highest limit (e.g. EMBED_CONCURRENCY). Integer ≥ min. */
  max: number;
  /** Starting limit, clamped to [min, max]. @defaultValue min */
  initial?: number;
  /** Growth per window of `limit` successes. @defaultValue 1 */
  increaseBy?: number;
  /** Factor applied on overload, in (0, 1). @defaultValue 0.5 */
  decreaseFactor?: number;
  /** A success slower than this (ms) counts as overload; unset = latency is ignored. */
  latencyTargetMs?: number;
  /** Overloads within this long (ms) after a decrease are ignored. @defaultValue 1_000 */
  cooldownMs?: number;
  /** A full-sized success slower per item than this many times the server's own time per item is an overload (queueing). Unset = off. */
  queueTolerance?: number;
}

/** Per-item baseline growth per success: a minimum that forgets a too-fast past in about 100 successes. */
const BASELINE_DRIFT = 1.01;

/** Releases a slot taken by `acquire`; idempotent. */
export type Release = () => void;

interface Waiter {
  resolve: (release: Release) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class AimdLimiter {
  readonly #min: number;
  readonly #max: number;
  readonly #increaseBy: number;
  readonly #decreaseFactor: number;
  readonly #latencyTargetMs: number | undefined;
  readonly #cooldownMs: number;
  readonly #queueTolerance: number | undefined;
  /** The server's own time per item, ms (queueing detection). */
  #perItemBaseline = Number.POSITIVE_INFINITY;
  /** The largest request seen, items: only requests of at least half of it are compared. */
  #fullSize = 0;
  #current: number;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #inFlight = 0;
  readonly #waiters: Waiter[] = [];

  /** @throws RangeError naming the option when an option is out of range. */
  constructor({ min = 1, max, initial, increaseBy = 1, decreaseFactor = 0.5, latencyTargetMs, cooldownMs = 1_000, queueTolerance }: AimdLimiterOptions) {
    if (!Number.isInteger(min) || min < 1) throw new RangeError(`AimdLimiter min=${min} must be an integer ≥ 1`);
    if (!Number.isInteger(max) || max < min) throw new RangeError(`AimdLimiter max=${max} must be an integer ≥ min (${min})`);
    if (!(increaseBy > 0)) throw new RangeError(`AimdLimiter increaseBy=${increaseBy} must be > 0`);
    if (!(decreaseFactor > 0 && decreaseFactor < 1)) throw new RangeError(`AimdLimiter decreaseFactor=${decreaseFactor} must be in (0, 1)`);
    if (latencyTargetMs !== undefined && !(latencyTargetMs > 0)) throw new RangeError(`AimdLimiter latencyTargetMs=${latencyTargetMs} must be > 0`);
    if (!(cooldownMs >= 0)) throw new RangeError(`AimdLimiter cooldownMs=${cooldownMs} must be ≥ 0`);
    if (queueTolerance !== undefined && !(queueTolerance > 1)) throw new RangeError(`AimdLimiter queueTolerance=${queueTolerance} must be > 1`);
    this.#queueTolerance = queueTolerance;
    this.#min = min;
    this.#max = max;
    this.#increaseBy = increaseBy;
    this.#decreaseFactor = decreaseFactor;
    this.#latencyTargetMs = latencyTargetMs;
    this.#cooldownMs = cooldownMs;
    this.#current = Math.min(max, Math.max(min, initial ?? min));
  }

  /** Current concurrency limit (an integer in [min, max]). */
  get limit(): number {
    return Math.floor(this.#current + 1e-9); // 1e-9: five increments of 0.2 must make 1
  }

  /** Slots taken and not yet released. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Callers queued in `acquire`. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Reports a successful request of `items` items that took `latencyMs`. Over `latencyTargetMs`,
   * or queued (see the file's contract), it counts as an overload at `nowMs` (and without `nowMs`
   * it only withholds the increase).
   */
  onSuccess(latencyMs: number, nowMs?: number, startedAtMs?: number, items = 1): void {
    if ((this.#latencyTargetMs !== undefined && latencyMs > this.#latencyTargetMs) || this.#queued(latencyMs, items)) {
      if (nowMs !== undefined) this.onOverload(nowMs, startedAtMs);
      return;
    }
    this.#current = Math.min(this.#max, this.#current + this.#increaseBy / this.limit);
    this.#drain();
  }

  /** Updates the per-item baseline with a full-sized success; true when it waited in a queue. */
  #queued(latencyMs: number, items: number): boolean {
    if (this.#queueTolerance === undefined || items < 1) return false;
    this.#fullSize = Math.max(this.#fullSize, items);
    if (items * 2 < this.#fullSize) return false; // a small request's fixed overhead would look like queueing
    const perItem = latencyMs / items;
    const queued = perItem > this.#queueTolerance * this.#perItemBaseline;
    this.#perItemBaseline = Math.min(perItem, this.#perItemBaseline * BASELINE_DRIFT);
    return queued;
  }

  /**
   * Reports an overload (503, 429, timeout) at `nowMs`. Decreases the limit unless within
   * `cooldownMs` of the last decrease, or unless `startedAtMs` (when the failed request started)
   * is before the last decrease — that request belonged to the window already punished.
   * Returns true when the limit was decreased.
   */
  onOverload(nowMs: number, startedAtMs?: number): boolean {
    if (nowMs - this.#lastDecreaseAt < this.#cooldownMs) return false;
    if (startedAtMs !== undefined && startedAtMs < this.#lastDecreaseAt) return false;
    this.#current = Math.max(this.#min, Math.floor(this.#current * this.#decreaseFactor));
    this.#lastDecreaseAt = nowMs;
    return true;
  }

  /**
   * Waits for a slot under the current limit and resolves to its release function. Waiters are
   * served first in, first out, when a slot is released or the limit grows; no polling. A
   * decrease never interrupts running work: it only delays the next grants.
   *
   * @throws `signal.reason` when `signal` aborts before a slot is granted (the caller is removed
   *   from the queue).
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiters.length === 0 && this.#inFlight < this.limit) return Promise.resolve(this.#grant());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #grant(): Release {
    this.#inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#waiters.length > 0 && this.#inFlight < this.limit) {
      const waiter = this.#waiters.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#grant());
    }
  }
}
