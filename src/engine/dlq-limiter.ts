/**
 * The limit on how much may be dead-lettered (Arroyo's DLQ limit): when the share of poison
 * among the last `window` results passes `maxRatio`, a runner halts instead of draining its
 * input into the dead letters. Pure bookkeeping, shared by both runners.
 */
export interface DlqLimitOptions {
  /** Largest share of poison tolerated in the window. @defaultValue 0.5 */
  maxRatio: number;
  /** Results in the sliding window; the limit applies once it is full. @defaultValue 200 */
  window: number;
}

/**
 * Sliding-window poison ratio (Arroyo's DLQ limit): when the share of poison among the last
 * `window` results passes `maxRatio`, the stage must halt instead of draining into the DLQ.
 */
export class DlqLimiter {
  private readonly ring: boolean[] = [];
  private next = 0;
  private poison = 0;

  constructor(private readonly options: DlqLimitOptions) {}

  /** Records one result; returns true when the limit is now exceeded. */
  record(isPoison: boolean): boolean {
    if (this.ring.length < this.options.window) {
      this.ring.push(isPoison);
    } else {
      if (this.ring[this.next]) this.poison -= 1;
      this.ring[this.next] = isPoison;
      this.next = (this.next + 1) % this.options.window;
    }
    if (isPoison) this.poison += 1;
    return this.exceeded();
  }

  exceeded(): boolean {
    return this.ring.length >= this.options.window && this.poison / this.ring.length > this.options.maxRatio;
  }

  get ratio(): number {
    return this.ring.length ? this.poison / this.ring.length : 0;
  }
}
