/**
 * Spreads requests over several Ollama hosts (one Ollama serves a model's embeddings a few at a
 * time, so hosts are the unit of scale): least in-flight first, round-robin among equals, and a
 * host whose last request failed as a dependency is skipped for `penaltyMs` while a healthy host
 * exists (passive health check, like an HTTP load balancer's outlier ejection).
 */
import { AnswerClock } from './request-deadline.ts';

export interface HostPoolOptions {
  /** How long a failed host is avoided, ms. @defaultValue 2_000 */
  penaltyMs?: number;
  /** Clock, ms. @defaultValue Date.now */
  now?: () => number;
}

interface HostState {
  readonly url: string;
  inFlight: number;
  failedUntil: number;
  readonly answers: AnswerClock;
}

/** A host lease; `release` is idempotent. */
export interface HostLease {
  readonly url: string;
  /** When the host last answered this process: a request waits on as long as it answers (./request-deadline.ts). */
  readonly answers: AnswerClock;
  /** Returns the host to the pool; `failed` marks it unhealthy for `penaltyMs`. */
  release(failed?: boolean): void;
}

export class HostPool {
  readonly #hosts: HostState[];
  readonly #penaltyMs: number;
  readonly #now: () => number;
  #next = 0;

  constructor(urls: readonly string[], { penaltyMs = 2_000, now = Date.now }: HostPoolOptions = {}) {
    if (urls.length === 0) throw new RangeError('HostPool needs at least one host');
    this.#hosts = urls.map((url) => ({ url, inFlight: 0, failedUntil: 0, answers: new AnswerClock(now) }));
    this.#penaltyMs = penaltyMs;
    this.#now = now;
  }

  /** Requests in flight per host, for metrics and tests. */
  get inFlight(): Record<string, number> {
    return Object.fromEntries(this.#hosts.map((h) => [h.url, h.inFlight]));
  }

  /** Picks a host; never blocks (concurrency is bounded by the caller's limiter). */
  acquire(): HostLease {
    const now = this.#now();
    const n = this.#hosts.length;
    const healthy = this.#hosts.some((h) => h.failedUntil <= now);
    // Among healthy hosts the least busy; when all failed recently, the one that recovers first.
    const key = (h: HostState) => (healthy ? h.inFlight : h.failedUntil);
    let best: HostState | undefined;
    for (let k = 0; k < n; k++) {
      const host = this.#hosts[(this.#next + k) % n]!;
      if (healthy && host.failedUntil > now) continue;
      if (!best || key(host) < key(best)) best = host; // strict: ties go to the round-robin order
    }
    const chosen = best!;
    this.#next = (this.#hosts.indexOf(chosen) + 1) % n;
    chosen.inFlight++;
    let released = false;
    return {
      url: chosen.url,
      answers: chosen.answers,
      release: (failed = false) => {
        if (released) return;
        released = true;
        chosen.inFlight--;
        chosen.failedUntil = failed ? this.#now() + this.#penaltyMs : 0;
      },
    };
  }
}
