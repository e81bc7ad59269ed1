/**
 * What Prometheus sees: a running stage (`era-ingest stage chunk`, its own process, against the
 * real broker) answers /healthz and /readyz, and its /metrics, after real work (a document and a
 * poison record), passes `promtool check metrics`. A second test serves an exposition with every
 * declared metric sampled through the same HTTP server, so the families the chunk stage never
 * touches (embedder, …) are linted too.
 *
 * promtool comes from Debian's `prometheus` package (infra/tools/install-promtool.sh). Without
 * it these tests fail, they do not skip.
 */
import { spawnSync } from 'node:child_process';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServiceServer } from '../../src/metrics/http-server.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { topicNames } from '../../src/dataflow/topics.ts';
import { freePort } from '../helpers/fault-services.ts';
import { KafkaTestKit } from '../helpers/kafka.ts';
import { uniqueName } from '../helpers/names.ts';
import { startProcess, type ServiceProcess } from '../helpers/processes.ts';
import { kafkaBrokers } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * promtool's lint findings on prom-client's own default metrics (gauges named `*_total`), which
 * this project does not declare; anything else promtool reports fails the test.
 */
const PROM_CLIENT_DEFAULT_FINDINGS = /^era_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

interface Lint {
  status: number | null;
  findings: string[];
}

/** `promtool check metrics` on an exposition: exit status and the findings not on the allowlist. */
function checkMetrics(exposition: string): Lint {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('promtool is not installed: run infra/tools/install-promtool.sh (installs Debian\'s `prometheus` package, which provides promtool)');
  }
  if (result.error) throw result.error;
  const lines = `${result.stdout}${result.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return { status: result.status, findings: lines.filter((l) => !PROM_CLIENT_DEFAULT_FINDINGS.test(l)) };
}

/** Names of the metric families in an exposition (its `# TYPE` lines). */
function families(exposition: string): string[] {
  return [...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!);
}

const declared = createMetrics(new Registry());
const DECLARED_FAMILIES = declared.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);

describe('a stage\'s /metrics, as Prometheus scrapes it', () => {
  const kit = new KafkaTestKit();
  const processes: ServiceProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) p.kill('SIGKILL');
    await kit.cleanup();
  });

  it('a running chunk stage answers its probes and serves an exposition that passes promtool check metrics', async () => {
    const prefix = uniqueName('scrape');
    const topics = topicNames(prefix);
    kit.track(...Object.values(topics));
    // cleanup() deletes tracked topics only through an admin client that was opened.
    await kit.adminClient();
    const port = await freePort(20_000);
    const env: Record<string, string> = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC_PREFIX: prefix,
      GROUP_PREFIX: uniqueName('g'),
      TOPIC_PARTITIONS: '2',
      METRICS_PORT: String(port),
      COMMIT_INTERVAL_MS: '200',
      FLOW_SAMPLE_MS: '500',
      LOG_LEVEL: 'warn',
    };
    // The chunk stage needs no database; with DATABASE_URL it would migrate the shared test
    // database and record jobs there. Node's spawn drops variables whose value is undefined.
    (env as Record<string, string | undefined>).DATABASE_URL = undefined;
    const stage = startProcess('src/cli/main.ts', ['stage', 'chunk'], env);
    processes.push(stage);
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    const status = async (path: string) => (await fetch(url(path))).status;
    const exitedEarly = stage.exited.then((code) => {
      throw new Error(`the stage exited (${code}) before it was ready:\n${stage.output().slice(-3000)}`);
    });
    exitedEarly.catch(() => undefined);
    await Promise.race([waitFor(async () => (await status('/readyz')) === 200, { timeoutMs: 90_000, intervalMs: 250, what: 'GET /readyz 200 from the chunk stage' }), exitedEarly]);
    expect(await status('/healthz')).toBe(200);

    // Real work, so that counters, the latency histogram, the DLQ counter and the lag gauge have samples.
    await kit.produce(topics.raw, [
      { key: 'doc-1', value: JSON.stringify({ id: 'doc-1', text: 'The budget deficit narrowed in the third quarter.' }), headers: { 'era.published.at': String(Date.now()) } },
      { key: 'bad-1', value: '{ not json' },
    ]);
    const exposition = await waitFor(async () => {
      const text = await (await fetch(url('/metrics'))).text();
      const sampled = ['era_messages_out_total', 'era_dlq_records_total', 'era_end_to_end_latency_seconds_bucket', 'era_consumer_lag'].every((name) => new RegExp(`^${name}\\{[^}]*stage="chunk"`, 'm').test(text));
      return sampled && text;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'the chunk stage to report its output, its DLQ record and its lag' });

    const response = await fetch(url('/metrics'));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(families(exposition)).toEqual(expect.arrayContaining(DECLARED_FAMILIES));
    const lint = checkMetrics(exposition);
    expect(lint.findings).toEqual([]);
    expect([0, 3], 'promtool exit status (1: the exposition does not parse)').toContain(lint.status);

    stage.kill('SIGTERM');
    expect(await stage.exited).toBe(0);
  });

  it('an exposition with every declared metric sampled passes promtool check metrics', async () => {
    const metrics = createMetrics(new Registry());
    const labelValues: Record<string, string> = { stage: 'embed', topic: topicNames().chunks, code: 'INVALID_MESSAGE', group: 'era.embed', partition: '0', decision: 'increase', outcome: 'ok' };
    for (const metric of Object.values(metrics)) {
      if (metric instanceof Registry) continue;
      const labelNames = (metric as unknown as { labelNames: string[] }).labelNames;
      const labels = Object.fromEntries(labelNames.map((l) => [l, labelValues[l] ?? 'x']));
      // (Casts: the union of the declared metrics' label types admits no call signature.)
      if (metric instanceof Counter) (metric as Counter<string>).inc(labels, 2);
      else if (metric instanceof Gauge) (metric as Gauge<string>).set(labels, 3);
      else if (metric instanceof Histogram) (metric as Histogram<string>).observe(labels, 0.2);
      else throw new Error(`unexpected metric type of ${(metric as { name?: string }).name}: add it here`);
    }
    const server = await startServiceServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, live: () => true, ready: () => true });
    try {
      const exposition = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      const own = Object.values(metrics).filter((m) => !(m instanceof Registry)).map((m) => (m as unknown as { name: string }).name);
      for (const name of own) expect(exposition, name).toMatch(new RegExp(`^${name}(_bucket|_sum|_count)?\\{`, 'm'));
      const lint = checkMetrics(exposition);
      expect(lint.findings).toEqual([]);
      expect([0, 3]).toContain(lint.status);
    } finally {
      await server.close();
    }
  });
});
