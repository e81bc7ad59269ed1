/**
 * CPU of the services a Kafka-mode run leans on, so the report can say where the time went:
 * the PostgreSQL backends connected to the run's own database (found through
 * pg_stat_activity every second; their CPU is read from /proc, the benchmark runs as root or
 * as the server's user) and the Kafka broker process (shared with anything else using it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { clockTicksPerSecond, readProc } from '../lib/proc.ts';

/** Pid of the local Kafka broker (the JVM running kafka.Kafka), preferring one whose state dir names `port`. */
export function findBrokerPid(port?: string): number | undefined {
  let fallback: number | undefined;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmd.includes('kafka.Kafka')) continue;
      if (port && cmd.includes(`-${port}`)) return Number(entry);
      fallback ??= Number(entry);
    }
  } catch {
    // no /proc
  }
  return fallback;
}

export class ServiceCpu {
  /** Highest cpu ticks seen per backend pid, and the ticks when the window opened. */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private brokerStart?: number;
  private brokerEnd?: number;
  private timer?: NodeJS.Timeout;
  private client?: pg.Client;
  private busy?: Promise<void>;
  private opened = false;

  constructor(private readonly adminUrl: string, private readonly database: string, private readonly brokerPid?: number) {}

  async start(): Promise<void> {
    this.client = new pg.Client({ connectionString: this.adminUrl, application_name: 'era-bench-observer' });
    await this.client.connect();
    this.brokerStart = this.brokerPid ? readProc(this.brokerPid)?.cpuTicks : undefined;
    await this.poll();
    this.timer = setInterval(() => void (this.busy ??= this.poll().finally(() => (this.busy = undefined))), 1_000);
  }

  private async poll(): Promise<void> {
    try {
      const { rows } = await this.client!.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [this.database]);
      for (const { pid } of rows) {
        const ticks = readProc(pid)?.cpuTicks;
        if (ticks === undefined) continue;
        const seen = this.backends.get(pid);
        // A backend first seen after the window opened started within it (closely enough).
        if (seen) seen.last = Math.max(seen.last, ticks);
        else this.backends.set(pid, { first: this.opened ? 0 : ticks, last: ticks });
      }
    } catch {
      // a missed poll loses at most a second of a backend that exits right then
    }
  }

  /** Call when the measured window opens: what the backends used before does not count. */
  async open(): Promise<void> {
    await this.busy;
    await this.poll();
    for (const b of this.backends.values()) b.first = b.last;
    this.opened = true;
    this.brokerStart = this.brokerPid ? readProc(this.brokerPid)?.cpuTicks : undefined;
  }

  /** Call when the measured window closes. */
  async close(): Promise<{ postgresCpuSeconds: number; brokerCpuSeconds?: number; backends: number }> {
    await this.busy;
    await this.poll();
    this.brokerEnd = this.brokerPid ? readProc(this.brokerPid)?.cpuTicks : undefined;
    const hz = clockTicksPerSecond();
    let ticks = 0;
    for (const b of this.backends.values()) ticks += Math.max(0, b.last - b.first);
    return {
      postgresCpuSeconds: ticks / hz,
      ...(this.brokerStart !== undefined && this.brokerEnd !== undefined ? { brokerCpuSeconds: (this.brokerEnd - this.brokerStart) / hz } : {}),
      backends: this.backends.size,
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
    await this.client?.end().catch(() => undefined);
  }
}
