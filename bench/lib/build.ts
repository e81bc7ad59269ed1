/**
 * The stage processes of a Kafka run execute the compiled package, as a deployment does: the
 * bench runs `npm run build` once (src/ → dist/, tsconfig.build.json) and starts each stage
 * as `node dist/cli/main.js stage <name>`. What-if `--tsx`: the TypeScript sources through tsx
 * instead, to measure what the loader costs in memory and start-up CPU.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './child.ts';

/** Builds dist/ from the current sources; returns the CLI entry point's absolute path. */
export function buildPackage(): string {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return join(ROOT, 'dist/cli/main.js');
}

/**
 * The NODE_OPTIONS the container image gives every era-ingest process (the Dockerfile's `ENV`),
 * so that the bench's stage processes run as deployed ones do. Empty when the image sets none.
 */
export function imageNodeOptions(): string {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  return /^ENV\s.*\bNODE_OPTIONS=(\S+)/m.exec(dockerfile)?.[1] ?? '';
}
