/**
 * Child processes of the benchmark (stage services, naive stages, the embedded worker): run as
 * `node --import tsx <entry>` so the child's pid is the Node process itself, whose /proc
 * figures are the stage's. Output goes to a log file; the last lines are kept for errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildOptions {
  name: string;
  /** Entry point relative to the repository root, e.g. src/cli/main.ts. */
  entry: string;
  args: string[];
  env: Record<string, string>;
  logFile: string;
  /** Write a V8 CPU profile into this directory when the process exits. */
  cpuProfDir?: string;
  /** Called with every complete stdout line (e.g. the embedded worker's JSON messages). */
  onLine?: (line: string) => void;
  /** `entry` is an absolute path to JavaScript: run it with plain node, without tsx. */
  plainNode?: boolean;
}

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  /** The last ~64 KB of output. */
  tail(): string;
  /** Resolves with the first match of `pattern` in the output (from the start). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
}

const TAIL = 64 * 1024;

/**
 * Children still running. If the benchmark process exits for any reason (a crash, Ctrl-C),
 * they are killed with it instead of being left behind as orphans holding ports and groups.
 */
const live = new Set<ChildProcess>();
let exitHook = false;
function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const c of live) c.kill('SIGTERM');
      setTimeout(() => process.exit(130), 5_000);
    });
  }
}

export function spawnChild({ name, entry, args, env, logFile, cpuProfDir, onLine, plainNode = false }: ChildOptions): BenchChild {
  mkdirSync(dirname(logFile), { recursive: true });
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...(plainNode ? [entry] : ['--import', 'tsx', `${ROOT}${entry}`]), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  const log = createWriteStream(logFile);
  let tail = '';
  let head = ''; // the first 64 KB, where start-up lines (port, "started") are
  let partial = '';
  const waiters = new Set<() => void>();
  const onData = (stream: 'out' | 'err') => (d: Buffer): void => {
    const text = d.toString();
    log.write(text);
    if (head.length < TAIL) head += text.slice(0, TAIL - head.length);
    tail = (tail + text).slice(-TAIL);
    if (stream === 'out' && onLine) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData('out'));
  child.stderr!.on('data', onData('err'));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    log.end();
    for (const w of waiters) w();
    resolve(code ?? signal ?? -1);
  }));
  let exitCode: number | string | undefined;
  void exited.then((c) => (exitCode = c));

  return {
    name,
    pid: child.pid ?? -1,
    child,
    exited,
    tail: () => tail,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = head.match(pattern) ?? tail.match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (exitCode !== undefined) {
            done();
            reject(new Error(`${name} exited (${exitCode}) before printing ${pattern}; last output:\n${tail.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${pattern}; last output:\n${tail.slice(-2000)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 30_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export { metricSum } from '../../src/metrics/exposition.ts';

/** GET a stage's /metrics text; undefined when it does not answer. */
export async function scrapeMetrics(port: number, timeoutMs = 2_000): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}
