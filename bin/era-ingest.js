#!/usr/bin/env node
// Runs the compiled CLI: dist/, built by `npm run build` (npm runs it on `npm ci` / `npm install`
// in a checkout through the `prepare` script; a published package ships it). The TypeScript
// sources run through tsx only in development and tests: `npm run cli -- <command>`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('era-ingest is not built: dist/cli/main.js is missing. Run `npm run build` (or `npm run cli -- <command>` to run the TypeScript sources)\n');
  process.exit(2);
}
await import(main.href);
