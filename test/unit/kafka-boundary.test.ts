/**
 * One folder owns the Kafka client (DESIGN.md, README "Architecture"): no file of src outside
 * src/kafka/ imports kafkajs, not even a type (a type import is a dependency on its API too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

it('only src/kafka/ imports kafkajs', () => {
  const importers = sources(SRC)
    .filter((file) => /from\s+'kafkajs'|import\('kafkajs'\)|require\('kafkajs'\)/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(SRC, file).split('\\').join('/'));
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((f) => !f.startsWith('kafka/'))).toEqual([]);
});
