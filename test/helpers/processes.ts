import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** Resolves when the process printed `text`. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Descendant process ids of `pid`, deepest first (Linux /proc; none elsewhere). */
export function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      kids.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    kids = [];
  }
  return kids.flatMap((kid) => [...descendants(kid), kid]);
}

/** Starts a TypeScript entry point of this repository as a separate process, through tsx, in `cwd` (default: the repository). */
export function startProcess(script: string, args: string[], env: Record<string, string>, { cwd = root }: { cwd?: string } = {}): ServiceProcess {
  const child = spawn(tsx, [`${root}${script}`, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => {
      // tsx runs the script in a child node process and relays catchable signals to it. SIGKILL
      // cannot be relayed: kill the whole tree, or the real service lives on as an orphan.
      if (signal === 'SIGKILL' && child.pid !== undefined) {
        for (const pid of descendants(child.pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      child.kill(signal);
    },
    waitForOutput: (text, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const matches = (): boolean => (typeof text === 'string' ? out.includes(text) : text.test(out));
        if (matches()) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(text)}; output:\n${out.slice(-3000)}`)), timeoutMs);
        const onData = (): void => {
          if (matches()) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        void exited.then((code) => {
          if (!matches()) {
            clearTimeout(timer);
            reject(new Error(`process exited (${code}) before printing ${String(text)}; output:\n${out.slice(-3000)}`));
          }
        });
      }),
  };
}

/**
 * Runs the CLI (`src/cli/main.ts` through tsx, in `options.cwd`, default the repository) to its
 * end. A process still alive after `timeoutMs` is killed, and its code is then 'SIGKILL': a hang
 * fails the test that waited for an exit code instead of stalling it.
 */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000, options: { cwd?: string } = {}): Promise<{ code: number | string; output: string }> {
  const p = startProcess('src/cli/main.ts', args, env, options);
  const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  try {
    return { code: await p.exited, output: p.output() };
  } finally {
    clearTimeout(timer);
  }
}
