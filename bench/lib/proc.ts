/**
 * Memory and CPU of processes from Linux /proc: VmHWM (peak resident set) and VmRSS from
 * /proc/<pid>/status, utime + stime from /proc/<pid>/stat, whole-machine busy time from
 * /proc/stat. The parsers are pure; the sampler polls on a timer.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSnapshot {
  at: number;
  rssKb: number;
  hwmKb: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
}

/** VmRSS and VmHWM (kB) from the text of /proc/<pid>/status. */
export function parseStatus(text: string): { rssKb: number; hwmKb: number } {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/**
 * utime + stime (clock ticks) from the text of /proc/<pid>/stat. The command name (field 2)
 * may hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseStatCpuTicks(text: string): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  return Number(rest[11]) + Number(rest[12]);
}

/** Busy and total jiffies of all CPUs from the text of /proc/stat. */
export function parseMachineCpu(text: string): { busy: number; total: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return { busy: 0, total: 0 };
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((s, x) => s + (Number.isFinite(x) ? x : 0), 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

let ticks: number | undefined;
/** Clock ticks per second (getconf CLK_TCK; 100 on every common Linux). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** A snapshot of a live process, or undefined once it has exited. */
export function readProc(pid: number, now = Date.now()): ProcSnapshot | undefined {
  try {
    const status = parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const cpuTicks = parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { at: now, ...status, cpuTicks };
  } catch {
    return undefined;
  }
}

export function readMachineCpu(): { busy: number; total: number } {
  try {
    return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return { busy: 0, total: 0 };
  }
}

export interface Tracked {
  name: string;
  pid: number;
}

/** Polls /proc for a set of processes; keeps every snapshot (a few per second is cheap). */
export class ProcessSampler {
  readonly samples = new Map<string, ProcSnapshot[]>();
  private timer?: NodeJS.Timeout;
  private readonly procs: Tracked[] = [];

  constructor(private readonly intervalMs = 500) {}

  track(proc: Tracked): void {
    this.procs.push(proc);
    this.samples.set(proc.name, []);
    this.sampleNow();
  }

  get tracked(): readonly Tracked[] {
    return this.procs;
  }

  start(): void {
    this.timer ??= setInterval(() => this.sampleNow(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes a snapshot of every tracked process now; returns them by name. */
  sampleNow(): Map<string, ProcSnapshot> {
    const now = Date.now();
    const out = new Map<string, ProcSnapshot>();
    for (const p of this.procs) {
      const s = readProc(p.pid, now);
      if (!s) continue;
      this.samples.get(p.name)!.push(s);
      out.set(p.name, s);
    }
    return out;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The last snapshot of `name` taken at or before `at` (or the first one). */
  at(name: string, at: number): ProcSnapshot | undefined {
    const list = this.samples.get(name) ?? [];
    let found = list[0];
    for (const s of list) {
      if (s.at > at) break;
      found = s;
    }
    return found;
  }

  last(name: string): ProcSnapshot | undefined {
    return this.samples.get(name)?.at(-1);
  }
}

export const kbToMb = (kb: number): number => kb / 1024;
