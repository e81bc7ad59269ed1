/**
 * Every deployment file the dataflow declaration decides, with its expected content: the files
 * a stage owns (one Kubernetes manifest each) and the generated regions of hand-written files.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataflow } from '../../src/dataflow/declare.ts';
import { absentStages, composeStages, kustomizationResources, prometheusNames, replaceRegion, stageManifest, type Prefixes } from './render.ts';

export const K8S_BASE = 'infra/k8s/base';

/** TOPIC_PREFIX and GROUP_PREFIX of the Kubernetes ConfigMap (the manifests name topics and groups with them). */
export function k8sPrefixes(root: string): Prefixes {
  const env = Object.fromEntries(readFileSync(join(root, K8S_BASE, 'config.env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => l.split('=', 2) as [string, string]));
  return { topicPrefix: env.TOPIC_PREFIX ?? 'era', groupPrefix: env.GROUP_PREFIX ?? 'era' };
}

/** Expected content by path (relative to `root`), and the stage manifests on disk that no stage owns. */
export function deployFiles(root: string, flow: Dataflow): { files: Map<string, string>; stale: string[] } {
  const read = (path: string): string => readFileSync(join(root, path), 'utf8');
  const files = new Map<string, string>();
  const prefixes = k8sPrefixes(root);
  for (const stage of flow.stages) files.set(`${K8S_BASE}/stage-${stage.name}.yaml`, stageManifest(flow, stage, prefixes));
  const regions: Array<[string, string[]]> = [
    [`${K8S_BASE}/kustomization.yaml`, kustomizationResources(flow)],
    ['docker-compose.yml', composeStages(flow)],
    ['infra/prometheus/prometheus.yml', prometheusNames(flow)],
    ['infra/prometheus/rules/era-ingest.yml', absentStages(flow)],
  ];
  for (const [path, lines] of regions) files.set(path, replaceRegion(read(path), lines, path));
  const owned = new Set(flow.stages.map((s) => `stage-${s.name}.yaml`));
  const stale = readdirSync(join(root, K8S_BASE)).filter((f) => /^stage-.+\.yaml$/.test(f) && !owned.has(f)).map((f) => `${K8S_BASE}/${f}`);
  return { files, stale };
}
