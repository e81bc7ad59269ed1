/** `era-ingest run`'s exit code (src/cli/run-summary.ts): skips count only with --strict. */
import { describe, expect, it } from 'vitest';
import { runExitCode } from '../../../src/cli/run-summary.ts';

const clean = { deadLetters: 0, failures: [], skipped: [] };
const skip = { origin: 'a.png', code: 'UNSUPPORTED_TYPE' as const, reason: 'unsupported' };

describe('run exit code', () => {
  it('is 0 when everything was ingested or skipped, and 1 for a skip only with --strict', () => {
    expect(runExitCode(clean)).toBe(0);
    expect(runExitCode({ ...clean, skipped: [skip] })).toBe(0);
    expect(runExitCode({ ...clean, skipped: [skip] }, true)).toBe(1);
    expect(runExitCode(clean, true)).toBe(0);
  });

  it('is 1 when a file failed, a stage rejected an input or the run stopped early', () => {
    expect(runExitCode({ ...clean, failures: [{ origin: 'b.pdf', code: 'PARSE_FAILED', reason: 'x' }] })).toBe(1);
    expect(runExitCode({ ...clean, deadLetters: 1, failures: [{ origin: 'c.md', stage: 'embed', reason: 'x' }] })).toBe(1);
    expect(runExitCode({ ...clean, error: 'DEPENDENCY_UNAVAILABLE: down', errorCode: 'DEPENDENCY_UNAVAILABLE' })).toBe(1);
  });

  it('is 2 on a configuration error', () => {
    expect(runExitCode({ ...clean, error: 'CONFIG_INVALID: x', errorCode: 'CONFIG_INVALID' })).toBe(2);
  });
});
