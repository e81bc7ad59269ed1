/**
 * A minimal Kustomize for the tests that read infra/k8s (no cluster here): renders the base and
 * the overlays the way `kubectl kustomize infra/k8s/<dir>` does (without the content hashes on
 * generated names), supporting exactly what the manifests use — resources, configMapGenerator,
 * JSON 6902 patches, namespace — and rejecting anything else, so a manifest change it cannot
 * follow fails the tests instead of being checked wrongly. Also: the builds there are, and the
 * configuration the pods of a build load.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const K8S = 'infra/k8s';
/** A file of the repository, by its path from the root. */
export const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Checked field by field by the tests below. */
  spec?: any;
  data?: Record<string, string>;
}

export interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  configMapGenerator?: { name: string; behavior?: 'create' | 'merge'; envs?: string[]; literals?: string[] }[];
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string; labelSelector?: string } }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'configMapGenerator', 'patches']);
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

/** KEY=VALUE lines of a Kustomize env file (comments and blank lines skipped). */
export function envFile(text: string): Record<string, string> {
  const entries = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const i = l.indexOf('=');
    if (i <= 0) throw new Error(`not KEY=VALUE: ${l}`);
    return [l.slice(0, i), l.slice(i + 1)] as const;
  });
  return Object.fromEntries(entries);
}

function matches(resource: Resource, target: NonNullable<Kustomization['patches']>[number]['target'] = {}): boolean {
  if (target.kind && resource.kind !== target.kind) return false;
  if (target.name && resource.metadata.name !== target.name) return false;
  const selector = (target.labelSelector ?? '').split(',').filter(Boolean).map((s) => s.split('=') as [string, string]);
  return selector.every(([k, v]) => resource.metadata.labels?.[k] === v);
}

/** Applies one JSON 6902 operation (add, replace, remove) to a parsed object. */
function applyOp(doc: unknown, op: { op: string; path: string; value?: unknown }): void {
  const keys = op.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop()!;
  let node = doc as Record<string, unknown>;
  for (const k of keys) {
    if (node[k] === undefined) throw new Error(`patch path ${op.path}: no ${k}`);
    node = node[k] as Record<string, unknown>;
  }
  if (op.op === 'remove') delete node[last];
  else if (op.op === 'replace' && !(last in node)) throw new Error(`patch replace ${op.path}: nothing to replace`);
  else if (op.op === 'add' && Array.isArray(node) && last === '-') node.push(op.value);
  else if (op.op === 'add' || op.op === 'replace') node[last] = structuredClone(op.value);
  else throw new Error(`JSON 6902 op ${op.op} is not supported by this test's renderer`);
}

/** Renders a kustomization directory (relative to the repository root). */
export function build(dir: string): Resource[] {
  const k = parse(read(`${dir}/kustomization.yaml`)) as Kustomization;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length) throw new Error(`${dir}/kustomization.yaml uses ${unsupported.join(', ')}: teach test/unit/k8s.test.ts's renderer`);
  const out: Resource[] = [];
  for (const r of k.resources ?? []) {
    const path = posix.normalize(`${dir}/${r}`);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...build(path));
    else out.push(...parseAllDocuments(read(path)).map((d) => d.toJS() as Resource | null).filter((d): d is Resource => d !== null));
  }
  for (const g of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const env of g.envs ?? []) Object.assign(data, envFile(read(`${dir}/${env}`)));
    Object.assign(data, envFile((g.literals ?? []).join('\n')));
    if ((g.behavior ?? 'create') === 'create') {
      out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
    } else {
      const existing = out.find((r) => r.kind === 'ConfigMap' && r.metadata.name === g.name);
      if (!existing) throw new Error(`${dir}: configMapGenerator merges into ${g.name}, which the resources do not generate`);
      existing.data = { ...existing.data, ...data };
    }
  }
  for (const p of k.patches ?? []) {
    const ops = parse(p.patch ?? read(`${dir}/${p.path}`)) as unknown;
    if (!Array.isArray(ops)) throw new Error(`${dir}: only JSON 6902 patches (a list of operations) are supported by this test's renderer`);
    const targets = out.filter((r) => matches(r, p.target));
    if (targets.length === 0) throw new Error(`${dir}: patch target ${JSON.stringify(p.target)} matches nothing`);
    for (const t of targets) for (const op of ops) applyOp(t, op);
  }
  if (k.namespace) for (const r of out) if (!CLUSTER_SCOPED.has(r.kind)) r.metadata.namespace = k.namespace;
  return out;
}

/** The base and every overlay, as directories relative to the repository root. */
export const K8S_BUILDS: readonly string[] = [`${K8S}/base`, ...readdirSync(join(ROOT, K8S, 'overlays')).map((o) => `${K8S}/overlays/${o}`)];
export const CONFIG_MAP = 'era-ingest-config';
export const SECRET_EXAMPLE = `${K8S}/secrets.env.example`;

/** The configuration the pods of a build load: the code's own resolution (env > PROFILE preset > default) of the ConfigMap and the example Secret. */
export function podConfig(resources: readonly Resource[]): Config {
  const data = resources.find((r) => r.kind === 'ConfigMap' && r.metadata.name === CONFIG_MAP)?.data ?? {};
  return loadConfig({ ...data, ...envFile(read(SECRET_EXAMPLE)) });
}
