/**
 * A command that has finished ends its process, even when a library left a handle open behind
 * it (seen: kafkajs kept a broker socket after a stage's clean stop, so a SIGTERMed stage never
 * exited). The leak is simulated by a preloaded module holding an interval timer.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the CLI with the leak preloaded; a process still alive after 30 s is killed (its code is then 'SIGKILL'). */
const run = (args: string[]) => runCli(args, { NODE_OPTIONS: LEAK }, 30_000);

const LEAK = `--import=data:text/javascript,${encodeURIComponent('setInterval(() => {}, 1 << 30);')}`;

describe('process exit', () => {
  it('exits with the command\'s code and names what was left open', async () => {
    const { code, output } = await run(['stage', 'no-such-stage']);
    expect(code).toBe(2);
    expect(output).toMatch(/handles still open after the command finished.*Timeout/);
  }, 60_000);

  it('exits 0 after a successful command with a handle left open', async () => {
    const { code, output } = await run(['--help']);
    expect(code).toBe(0);
    expect(output).toContain('Usage: era-ingest');
  }, 60_000);

  it('never cuts off output a slow reader has not taken yet', async () => {
    // 1 MiB written at start, far more than a pipe holds; nobody reads stdout for 4 s (longer
    // than a finished command lingers), then everything is read.
    const big = `--import=data:text/javascript,${encodeURIComponent('process.stdout.write("x".repeat(1 << 20));')}`;
    const child = spawn(`${root}node_modules/.bin/tsx`, [`${root}src/cli/main.ts`, '--help'], { cwd: root, env: { ...process.env, NODE_OPTIONS: `${LEAK} ${big}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const chunks: Buffer[] = [];
    setTimeout(() => {
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.stdout.resume();
    }, 4_000);
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    expect(await exited).toBe(0);
    clearTimeout(killer);
    await new Promise((resolve) => (child.stdout.readableEnded ? resolve(undefined) : child.stdout.once('end', resolve)));
    const out = Buffer.concat(chunks).toString();
    expect(out.length, stderr).toBeGreaterThan(1 << 20);
    expect(out).toContain('Usage: era-ingest');
  }, 60_000);
});
