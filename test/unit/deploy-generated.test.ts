/**
 * The deployment files list the stages of the declaration and nothing else: every Kubernetes
 * stage manifest, the kustomization, the compose stage services and the Prometheus targets are
 * what `npm run gen:deploy` renders from src/dataflow/pipeline.ts, and an added stage shows up
 * in all of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { deployFiles } from '../../scripts/deploy/files.ts';
import { auditedDataflow } from '../helpers/audited-dataflow.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('deployment files generated from the dataflow declaration', () => {
  it('are in step with the declaration (run `npm run gen:deploy` after changing it)', () => {
    const { files, stale } = deployFiles(ROOT, PIPELINE);
    for (const [path, content] of files) expect(readFileSync(join(ROOT, path), 'utf8'), `${path} is out of date: run npm run gen:deploy`).toBe(content);
    expect(stale, 'manifests of stages that are not declared').toEqual([]);
  });

  it('give an added stage its manifest, compose service, scrape target and alert without other edits', () => {
    const { files } = deployFiles(ROOT, auditedDataflow({ seen: 0 }));
    const manifest = files.get('infra/k8s/base/stage-audit.yaml');
    expect(manifest).toBeDefined();
    const [deployment, scaled] = manifest!.split('\n---\n').map((d) => parse(d));
    expect(deployment.spec.template.spec.containers[0].args).toEqual(['stage', 'audit']);
    expect(scaled.spec.triggers.map((t: { metadata: { topic: string; consumerGroup: string } }) => [t.metadata.topic, t.metadata.consumerGroup])).toEqual([['era.ministers', 'era.audit']]);
    const store = parse(files.get('infra/k8s/base/stage-store.yaml')!.split('\n---\n')[1]!);
    expect(store.spec.triggers[0].metadata.topic).toBe('era.audited');
    const compose = parse(files.get('docker-compose.yml')!);
    expect(compose.services['stage-audit'].command).toEqual(['stage', 'audit']);
    expect(parse(files.get('infra/k8s/base/kustomization.yaml')!).resources).toContain('stage-audit.yaml');
    expect(files.get('infra/prometheus/prometheus.yml')).toContain('stage-audit');
    expect(files.get('infra/prometheus/rules/era-ingest.yml')).toContain('absent(up{job="era-ingest", stage="audit"})');
  });
});
