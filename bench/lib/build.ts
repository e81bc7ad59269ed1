/**
 * What-if `--build`: the stage processes run from an esbuild bundle with plain `node` instead
 * of through tsx (what a production image with a build step would run), to measure what the
 * TypeScript loader costs in memory and start-up CPU. The bundle goes under bench/results/
 * (git-ignored), three levels deep, with the files the code reads relative to
 * `import.meta.url` copied beside it: storage/migrations, storage/sql, config/ministers.yaml.
 * Packages stay external and resolve from the repository's node_modules.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './child.ts';

/** Builds the bundle; returns the entry point's absolute path. */
export function buildStageBundle(dir: string): string {
  const deep = join(dir, 'a', 'b', 'c'); // ../../../ from the bundle = dir, like src/stages/minister/ → repo root
  mkdirSync(deep, { recursive: true });
  const entry = join(deep, 'main.mjs');
  execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), [
    join(ROOT, 'src/cli/main.ts'), '--bundle', '--platform=node', '--format=esm', '--target=node20',
    '--packages=external', `--outfile=${entry}`, '--log-level=warning',
  ], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  cpSync(join(ROOT, 'src/storage/migrations'), join(deep, 'migrations'), { recursive: true });
  cpSync(join(ROOT, 'src/storage/sql'), join(deep, 'sql'), { recursive: true });
  cpSync(join(ROOT, 'config'), join(dir, 'config'), { recursive: true });
  return entry;
}
