/**
 * Priority lanes (DESIGN.md §5): the priority raw topic is served before the normal one, with a
 * starvation guard. Pure and count-based: no clock, no topic names (the wiring maps a topic to
 * its lane with `topicNames`).
 *
 * - 'priority' is always admitted.
 * - 'normal' is always admitted while the priority lane has no lag.
 * - While it has lag, 'normal' is admitted only when its share of the last `window` admissions
 *   is under `minNormalShare`, so it keeps about that share and never starves.
 *
 * Contract for the wiring: `priorityHasLag` must mean lag on priority partitions this consumer
 * owns and is consuming. If priority partitions have lag but are not being admitted (owned by
 * another member, or stopped by another limit), normal admissions stop too after the guard's
 * share is used — the window only moves with admissions.
 */

export type Lane = 'priority' | 'normal';

export interface PriorityLanesOptions {
  /** Share of admissions kept for 'normal' while 'priority' has lag; in [0, 1). @defaultValue 0.1 */
  minNormalShare?: number;
  /** Admissions remembered for the share; integer ≥ 1. @defaultValue 100 */
  window?: number;
}

export class PriorityLanes {
  readonly #minNormalShare: number;
  /** Ring of the last `window` admissions: 1 = normal, 0 = priority. */
  readonly #ring: Uint8Array;
  #next = 0;
  #size = 0;
  #normal = 0;

  /** @throws RangeError naming the option when an option is out of range. */
  constructor({ minNormalShare = 0.1, window = 100 }: PriorityLanesOptions = {}) {
    if (!(minNormalShare >= 0 && minNormalShare < 1)) throw new RangeError(`PriorityLanes minNormalShare=${minNormalShare} must be in [0, 1)`);
    if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`PriorityLanes window=${window} must be an integer ≥ 1`);
    this.#minNormalShare = minNormalShare;
    this.#ring = new Uint8Array(window);
  }

  /** Share of 'normal' in the remembered admissions (0 when none yet). */
  get normalShare(): number {
    return this.#size === 0 ? 0 : this.#normal / this.#size;
  }

  /** Whether `lane` would be admitted now. Pure query: records nothing (use for resume probes). */
  wouldAdmit(lane: Lane, priorityHasLag: boolean): boolean {
    if (lane === 'priority' || !priorityHasLag) return true;
    return this.#minNormalShare > 0 && (this.#size === 0 || this.#normal < this.#minNormalShare * this.#size);
  }

  /** Decides like `wouldAdmit` and, when it admits, records the admission. */
  admit(lane: Lane, priorityHasLag: boolean): boolean {
    if (!this.wouldAdmit(lane, priorityHasLag)) return false;
    this.#record(lane);
    return true;
  }

  #record(lane: Lane): void {
    const value = lane === 'normal' ? 1 : 0;
    if (this.#size === this.#ring.length) this.#normal -= this.#ring[this.#next]!;
    else this.#size++;
    this.#ring[this.#next] = value;
    this.#normal += value;
    this.#next = (this.#next + 1) % this.#ring.length;
  }
}
