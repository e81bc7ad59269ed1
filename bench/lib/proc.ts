/**
 * Memory and CPU of processes from Linux /proc: VmHWM (peak resident set) and VmRSS from
 * /proc/<pid>/status, utime + stime from /proc/<pid>/stat, whole-machine busy time from
 * /proc/stat. The parsers are pure; the sampler polls on a timer.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

/** Parent pid (field 4) from the text of /proc/<pid>/stat. */
export function parseStatPpid(text: string): number {
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Socket inodes listening on TCP `port` (any address) from the text of /proc/net/tcp or tcp6. */
export function parseListeningInodes(text: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] local address:port, f[3] state (0A = LISTEN), f[9] inode
    if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === '0A') out.push(f[9]!);
  }
  return out;
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

const pids = (): number[] => readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
const readOr = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/**
 * The process listening on TCP `port` on this machine and its descendants (e.g. `ollama serve`
 * and the runners it starts); [] when none is found or /proc hides it (another user's process).
 */
export function processTreeOnPort(port: number): number[] {
  try {
    const inodes = new Set([...parseListeningInodes(readOr('/proc/net/tcp'), port), ...parseListeningInodes(readOr('/proc/net/tcp6'), port)]);
    if (inodes.size === 0) return [];
    const all = pids();
    const owner = all.find((pid) => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some((fd) => inodes.has(/^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''));
      } catch {
        return false;
      }
    });
    if (owner === undefined) return [];
    const parent = new Map(all.map((pid) => [pid, parseStatPpid(readOr(`/proc/${pid}/stat`))]));
    const tree = [owner];
    for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
    return tree;
  } catch {
    return [];
  }
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** utime + stime of `pids` that are alive, clock ticks by pid. */
export function cpuTicksOf(list: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of list) {
    const s = readProc(pid);
    if (s) out.set(pid, s.cpuTicks);
  }
  return out;
}

/** CPU seconds between two `cpuTicksOf` readings (processes alive at both). */
export function cpuSecondsBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of after) if (before.has(pid)) ticks += Math.max(0, t - before.get(pid)!);
  return ticks / clockTicksPerSecond();
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
