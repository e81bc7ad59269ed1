/**
 * Writes the deployment files' stage lists from the dataflow declaration (scripts/deploy/): the
 * Kubernetes stage manifests, the kustomization, the docker-compose stage services and the
 * Prometheus targets. `npm run gen:deploy` after changing src/dataflow/pipeline.ts; a unit test
 * fails while they are out of step.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PIPELINE } from '../src/dataflow/pipeline.ts';
import { deployFiles } from './deploy/files.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { files, stale } = deployFiles(root, PIPELINE);
for (const [path, content] of files) {
  const target = join(root, path);
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a new stage's manifest
  }
  if (current === content) continue;
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
for (const path of stale) {
  rmSync(join(root, path));
  console.log(`removed ${path} (no such stage)`);
}
