/** `era-ingest --version` / `-V`: the version of package.json on stdout, exit 0. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/processes.ts';

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe.concurrent('era-ingest --version', () => {
  for (const flag of ['--version', '-V']) {
    it(`${flag} prints the package version and exits 0`, { timeout: 60_000 }, async () => {
      const r = await runCli([flag], {});
      expect(r.code, r.output).toBe(0);
      expect(r.output).toBe(`${version}\n`);
    });
  }
});
