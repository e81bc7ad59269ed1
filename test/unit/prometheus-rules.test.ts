/**
 * The monitoring files against promtool and against the code: the alert rules
 * (infra/prometheus/rules) pass `promtool check rules` and their unit tests
 * (infra/prometheus/tests); the compose Prometheus config passes `promtool check config`; every
 * metric and label that a rule or a Grafana panel queries is one that src/metrics/metrics.ts
 * declares; every declared metric is on the dashboard; docker-compose.yml mounts these files
 * where the configs expect them.
 *
 * promtool comes from Debian's `prometheus` package (infra/tools/install-promtool.sh). Without
 * it these tests fail, they do not skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const RULES_DIR = 'infra/prometheus/rules';
const RULE_FILES = readdirSync(join(ROOT, RULES_DIR)).filter((f) => f.endsWith('.yml')).map((f) => `${RULES_DIR}/${f}`);
const RULE_TESTS = 'infra/prometheus/tests/era-ingest.test.yml';
const DASHBOARDS_DIR = 'infra/grafana/dashboards';
const DASHBOARD = `${DASHBOARDS_DIR}/era-ingest.json`;
const OPERATIONS_DOC = 'docs/operations.md';
/** Alerts the issue asks for: consumer lag growing, DLQ records appearing, halted on the DLQ limit, no progress. */
const REQUIRED_ALERTS = ['EraConsumerLagGrowing', 'EraDlqRecords', 'EraStageHalted', 'EraStageNoProgress'];

interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs promtool from the repository root; fails the test with the fix when it is not installed. */
function promtool(args: string[], input?: string): PromtoolResult {
  const result = spawnSync('promtool', args, { cwd: ROOT, input, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('promtool is not installed: run infra/tools/install-promtool.sh (installs Debian\'s `prometheus` package, which provides promtool)');
  }
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// --- what the code declares --------------------------------------------------------------------

interface DeclaredMetric {
  name: string;
  type: string;
  labelNames: readonly string[];
}

const metrics = createMetrics(new Registry());
const declared = (metrics.registry.getMetricsAsArray() as unknown as DeclaredMetric[]).map(({ name, type, labelNames }) => ({ name, type, labelNames }));
/** Metrics of createMetrics() itself (not prom-client's default process metrics). */
const OWN_METRICS = Object.values(metrics).flatMap((m) => (m instanceof Registry ? [] : [(m as unknown as DeclaredMetric).name]));
/** Labels Prometheus adds to every series: `job`, `instance`, and the target labels of our scrape configs. */
const TARGET_LABELS = ['job', 'instance', 'stage', 'namespace', 'pod'];

/** Every series name a scrape of a stage can produce, with the labels it may carry. */
const SERIES = new Map<string, Set<string>>();
for (const m of declared) {
  const labels = new Set([...m.labelNames, ...TARGET_LABELS]);
  const names = m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : m.type === 'summary' ? [m.name, `${m.name}_sum`, `${m.name}_count`] : [m.name];
  for (const n of names) SERIES.set(n, n.endsWith('_bucket') ? new Set([...labels, 'le']) : m.type === 'summary' && n === m.name ? new Set([...labels, 'quantile']) : labels);
}
SERIES.set('up', new Set(TARGET_LABELS));
const ALL_LABELS = new Set([...SERIES.values()].flatMap((s) => [...s]));

// --- the files ---------------------------------------------------------------------------------

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = RULE_FILES.flatMap((f) => (parse(read(f)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
const alerts = rules.filter((r) => r.alert);
const RECORDED = new Map(rules.filter((r) => r.record).map((r) => [r.record!, r]));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: { expr: string; refId: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(read(DASHBOARD)) as { uid: string; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown; definition?: string }[] } };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const panelQueries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

// --- a little PromQL reading -------------------------------------------------------------------

/** The expression with string literals emptied and Grafana's variables replaced, for scanning. */
function normalise(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?\w+\}?/g, 'x')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
}

/** Metric names an expression selects: ours (era_…), recording rules (with a colon) and `up`. */
function selectedSeries(expr: string): { name: string; matcherLabels: string[] }[] {
  const out: { name: string; matcherLabels: string[] }[] = [];
  for (const m of normalise(expr).matchAll(/(?<![\w:$])(era_[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*:[A-Za-z0-9_:]+|up)\b(\s*\{([^}]*)\})?/g)) {
    const matcherLabels = [...(m[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!);
    out.push({ name: m[1]!, matcherLabels });
  }
  return out;
}

/** Label names in `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_left/right (…)`. */
function groupingLabels(expr: string): string[] {
  return [...normalise(expr).matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
}

/** Problems with the series and labels an expression uses, against what the code declares. */
function unknownNames(expr: string): string[] {
  const problems: string[] = [];
  for (const { name, matcherLabels } of selectedSeries(expr)) {
    const recorded = RECORDED.get(name);
    const labels = recorded ? new Set([...groupingLabels(recorded.expr), ...TARGET_LABELS]) : SERIES.get(name);
    if (!labels) {
      problems.push(`${name} is neither declared in src/metrics/metrics.ts nor recorded in ${RULES_DIR}`);
      continue;
    }
    for (const l of matcherLabels) if (!labels.has(l)) problems.push(`${name} has no label ${l}`);
  }
  for (const l of groupingLabels(expr)) if (!ALL_LABELS.has(l)) problems.push(`no declared metric has the label ${l}`);
  return problems;
}

/** Runs `promtool check rules` on expressions, as recording rules of a temporary file. */
function checkSyntax(exprs: { name: string; expr: string }[]): PromtoolResult {
  const dir = mkdtempSync(join(tmpdir(), 'era-promql-'));
  try {
    const file = join(dir, 'queries.yml');
    const group = { name: 'queries', rules: exprs.map((e, i) => ({ record: `query:${i}`, expr: normalise(e.expr).replace(/""/g, '".*"') })) };
    writeFileSync(file, stringify({ groups: [group] }));
    return promtool(['check', 'rules', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GitHub's anchor of a Markdown heading. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

// --- tests -------------------------------------------------------------------------------------

describe('Prometheus alert rules', () => {
  it('pass `promtool check rules`', () => {
    const result = promtool(['check', 'rules', '--lint=all', '--lint-fatal', ...RULE_FILES]);
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.status, result.output).toBe(0);
  });

  it('pass their unit tests (`promtool test rules`)', () => {
    const result = promtool(['test', 'rules', RULE_TESTS]);
    expect(result.status, result.output).toBe(0);
  });

  it('alert on growing lag, DLQ records, a halted stage and no progress', () => {
    expect(alerts.map((a) => a.alert)).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
  });

  it('give every alert a severity, a summary, a description and a runbook section that exists', () => {
    const headings = new Set([...read(OPERATIONS_DOC).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => anchor(m[1]!)));
    for (const a of alerts) {
      expect(['warning', 'critical'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      const runbook = a.annotations?.runbook_url ?? '';
      const [path, section] = runbook.split('#');
      expect(path, `${a.alert} runbook_url`).toBe(OPERATIONS_DOC);
      expect([...headings], `${a.alert}: ${OPERATIONS_DOC} has no section #${section}`).toContain(section);
    }
  });

  it('are each exercised by a unit test that expects them to fire', () => {
    const suite = parse(read(RULE_TESTS)) as { rule_files: string[]; tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const testedFiles = suite.rule_files.map((f) => posix.normalize(posix.join(dirname(RULE_TESTS), f)));
    expect(testedFiles.sort()).toEqual([...RULE_FILES].sort());
    const firing = new Set(suite.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    for (const a of alerts) expect(firing, `no test in ${RULE_TESTS} expects ${a.alert} to fire`).toContain(a.alert);
  });

  it('query only metrics and labels the code declares', () => {
    expect(declared.length).toBeGreaterThan(OWN_METRICS.length);
    for (const r of rules) expect(unknownNames(r.expr), r.alert ?? r.record).toEqual([]);
  });

  it('look for a target of every stage', () => {
    const missing = alerts.find((a) => a.alert === 'EraStageMissing');
    expect(missing, 'EraStageMissing').toBeDefined();
    const stages = [...missing!.expr.matchAll(/absent\(up\{[^}]*stage="([^"]+)"/g)].map((m) => m[1]);
    expect(stages.sort()).toEqual([...PIPELINE.stageNames].sort());
  });
});

describe(OPERATIONS_DOC, () => {
  const doc = read(OPERATIONS_DOC);

  it('names only metrics the code declares', () => {
    const named = new Set([...doc.matchAll(/\b(era_[a-z0-9_]+)\b/g)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(0);
    const families = new Set([...declared.map((m) => m.name), ...SERIES.keys()]);
    for (const name of named) expect(families, `${OPERATIONS_DOC} names ${name}`).toContain(name);
  });

  it('names only alerts that exist, and every alert', () => {
    const named = new Set([...doc.matchAll(/`(Era[A-Z][A-Za-z]+)`/g)].map((m) => m[1]!));
    expect([...named].sort()).toEqual(alerts.map((a) => a.alert!).sort());
  });
});

describe('Prometheus scrape configuration', () => {
  it('passes `promtool check config` for docker-compose, rule files included', () => {
    const result = promtool(['check', 'config', 'infra/prometheus/prometheus.yml']);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(new RegExp(`SUCCESS: ${RULE_FILES.length} rule files? found`));
  });

  it('keeps the stages\' own stage label and loads the same rules on Kubernetes', () => {
    // Debian's promtool is built without Kubernetes service discovery, so this file is read here
    // (test/unit/k8s.test.ts checks it against the manifests).
    for (const file of ['infra/prometheus/prometheus.yml', 'infra/prometheus/prometheus-kubernetes.yml']) {
      const config = parse(read(file)) as { rule_files: string[]; scrape_configs: { job_name: string; honor_labels?: boolean }[] };
      expect(config.rule_files, file).toEqual(['rules/*.yml']);
      expect(existsSync(join(ROOT, dirname(file), 'rules')), file).toBe(true);
      const job = config.scrape_configs.find((c) => c.job_name === 'era-ingest');
      expect(job, `${file}: job era-ingest (the alerts select job="era-ingest")`).toBeDefined();
      // Without it Prometheus renames every series' stage label to exported_stage.
      expect(job!.honor_labels, file).toBe(true);
    }
  });
});

describe('Grafana dashboard', () => {
  it('has valid PromQL in every panel', () => {
    expect(panelQueries.length).toBeGreaterThan(0);
    const result = checkSyntax(panelQueries.map((q) => ({ name: q.panel, expr: q.expr })));
    expect(result.status, result.output).toBe(0);
  });

  it('queries only metrics and labels the code declares', () => {
    for (const q of panelQueries) expect(unknownNames(q.expr), q.panel).toEqual([]);
  });

  it('shows every metric the stages declare', () => {
    const shown = new Set(panelQueries.flatMap((q) => selectedSeries(q.expr).map((s) => s.name.replace(/_(bucket|sum|count)$/, ''))));
    for (const name of OWN_METRICS) expect(shown, `${name} is on no panel of ${DASHBOARD}`).toContain(name);
  });

  it('has the panels operators ask for', () => {
    const uses = (pattern: RegExp) => panelQueries.filter((q) => pattern.test(q.expr)).map((q) => q.panel);
    // throughput per stage, end-to-end latency, lag per partition, controller rate, paused partitions, DLQ, embedder latency
    expect(uses(/sum by \(stage\) \(rate\(era_messages_(in|out)_total/)).not.toEqual([]);
    expect(uses(/histogram_quantile\(.*era_end_to_end_latency_seconds_bucket/)).not.toEqual([]);
    expect(uses(/by \([^)]*\bpartition\b[^)]*\) \(era_consumer_lag/)).not.toEqual([]);
    expect(uses(/era_flow_rate_per_second/)).not.toEqual([]);
    expect(uses(/era_paused_partitions/)).not.toEqual([]);
    expect(uses(/era_dlq_records_total/)).not.toEqual([]);
    expect(uses(/histogram_quantile\(.*era_embed_request_seconds_bucket/)).not.toEqual([]);
  });

  it('is laid out and bound to a Prometheus data source variable', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable?.query).toBe('prometheus');
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.gridPos!.x + p.gridPos!.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource?.uid, p.title).toBe(`\${${variable!.name}}`);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
    const stage = dashboard.templating.list.find((v) => v.name === 'stage');
    expect(stage?.definition && unknownNames(stage.definition)).toEqual([]);
  });
});

describe('docker-compose.yml monitoring', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { volumes?: string[]; ports?: string[] }> };
  /** container path → repository path of a service's bind mounts. */
  const binds = (service: string) =>
    new Map((compose.services[service]?.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => [v.split(':')[1]!, posix.normalize(v.split(':')[0]!)]));

  it('mounts the Prometheus config with its rules beside it', () => {
    const mounts = binds('prometheus');
    expect(mounts.get('/etc/prometheus/prometheus.yml')).toBe('infra/prometheus/prometheus.yml');
    // rule_files: [rules/*.yml] is relative to the config file's folder.
    expect(mounts.get('/etc/prometheus/rules')).toBe(RULES_DIR);
  });

  it('provisions Grafana with the Prometheus data source and the dashboards folder', () => {
    const mounts = binds('grafana');
    expect(mounts.get('/etc/grafana/provisioning')).toBe('infra/grafana/provisioning');
    const providers = (parse(read('infra/grafana/provisioning/dashboards/era-ingest.yml')) as { providers: { type: string; options: { path: string } }[] }).providers;
    expect(providers.map((p) => p.type)).toEqual(['file']);
    expect(mounts.get(providers[0]!.options.path), `compose mounts ${DASHBOARDS_DIR} at the provider's path`).toBe(DASHBOARDS_DIR);
    const datasources = (parse(read('infra/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { type: string; url: string }[] }).datasources;
    const url = new URL(datasources.find((d) => d.type === 'prometheus')!.url);
    expect(compose.services).toHaveProperty(url.hostname);
    expect(compose.services[url.hostname]!.ports?.some((p) => p.endsWith(`:${url.port}`))).toBe(true);
  });
});
