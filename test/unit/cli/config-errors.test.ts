/**
 * A configuration error found at start is one line on stderr naming the setting and the cause,
 * with exit code 2 and no stack trace, whichever command meets it.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.ts';

const STACK_LINE = /^\s+at /m;

describe.concurrent('a bad port in DATABASE_URL', () => {
  for (const [args, env, cause] of [
    [['status'], { DATABASE_URL: 'postgres://u@127.0.0.1:99999/db' }, /its port 99999 is out of range/],
    [['search', 'budget'], { DATABASE_URL: 'postgres://u@127.0.0.1:abc/db' }, /its port "abc" is not a number/],
    [['dlq', 'list', '--db', 'postgres://u@127.0.0.1:99999/db'], {}, /its port 99999 is out of range/],
  ] as Array<[string[], Record<string, string>, RegExp]>) {
    it(`is a configuration error for ${args.join(' ')}: exit 2, one line, no stack trace`, { timeout: 60_000 }, async () => {
      const r = await runCli(args, { DATABASE_URL: '', ...env });
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(/^era-ingest: invalid configuration: DATABASE_URL="postgres:\/\/u@127\.0\.0\.1:[^"]+" is invalid \(/);
      expect(r.output).toMatch(cause);
      expect(r.output.trimEnd().split('\n')).toHaveLength(1);
      expect(r.output).not.toMatch(STACK_LINE);
    });
  }
});
