/**
 * The project's service scripts (infra/<name>/<name>.sh start|stop|status) as the test setups
 * use them: a service named by its environment variable (docker compose, a CI service) is used
 * as it is; otherwise a running one is reused, or the script starts one and says so, so that
 * teardown stops only what this run started. A script prints its address as its last line.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const infra = fileURLToPath(new URL('../../infra/', import.meta.url));

/** Runs `infra/<path> <command>`; returns its last line of stdout (status: undefined when not running). */
export async function serviceScript(path: string, command: 'start' | 'stop' | 'status', env: Record<string, string> = {}): Promise<string | undefined> {
  return (await serviceScriptLines(path, command, env))?.at(-1) || undefined;
}

/** Runs `infra/<path> <command>`; returns its lines of stdout (status: undefined when not running). */
export async function serviceScriptLines(path: string, command: 'start' | 'stop' | 'status', env: Record<string, string> = {}): Promise<string[] | undefined> {
  try {
    // A first start may build or download the service (Ollama: about 9 minutes on 2 cores).
    const { stdout } = await run(`${infra}${path}`, [command], { timeout: 20 * 60_000, maxBuffer: 16 << 20, env: { ...process.env, ...env } });
    return stdout.trim().split('\n');
  } catch (error) {
    if (command === 'status') return undefined;
    const e = error as { stderr?: string; message: string };
    throw new Error(`infra/${path} ${command} failed: ${e.stderr?.slice(-4000) ?? e.message}`);
  }
}

/** The address of the service: from `envName`, a running instance, or a new one (`started`, with `env` for its script). */
export async function ensureService(envName: string, path: string, env: Record<string, string> = {}): Promise<{ address: string; started: boolean }> {
  const fromEnv = process.env[envName];
  if (fromEnv) return { address: fromEnv, started: false };
  const running = await serviceScript(path, 'status');
  if (running) return { address: running, started: false };
  const address = await serviceScript(path, 'start', env);
  if (!address) throw new Error(`infra/${path} start printed no address`);
  return { address, started: true };
}
