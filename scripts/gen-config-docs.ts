/**
 * Writes docs/configuration.md from the one configuration schema (src/config/schema.ts).
 * `npm run docs:config` regenerates it; a unit test fails when it is out of date.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs } from '../src/config/docs.ts';

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
writeFileSync(target, renderConfigDocs());
console.log(`wrote ${target}`);
