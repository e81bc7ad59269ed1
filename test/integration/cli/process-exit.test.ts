/**
 * A command that has finished ends its process, even when a library left a handle open behind
 * it (seen: kafkajs kept a broker socket after a stage's clean stop, so a SIGTERMed stage never
 * exited). The leak is simulated by a preloaded module holding an interval timer.
 */
import { describe, expect, it } from 'vitest';
import { startProcess } from '../../helpers/processes.ts';

/** Runs the CLI with the leak preloaded; a process still alive after 30 s is killed (its code is then 'SIGKILL'). */
async function run(args: string[]): Promise<{ code: number | string; output: string }> {
  const p = startProcess('src/cli/main.ts', args, { NODE_OPTIONS: LEAK });
  const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}

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
});
