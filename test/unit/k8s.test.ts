/**
 * infra/k8s cannot be applied here (no cluster), so this test renders the Kustomize base and
 * overlays itself and checks what would otherwise only fail in a cluster: every stage has its
 * Deployment, KEDA ScaledObject and PodDisruptionBudget; the ScaledObjects watch the stage's own
 * consumer group and input topics (from src/stages/<stage>/stage.ts and src/topics/names.ts) and
 * never scale past the partitions; ports, probes and settings are the code's
 * (src/config/schema.ts, src/metrics/http-server.ts); pods drain before they are killed; the
 * setup Job runs CLI commands that exist.
 *
 * The renderer (test/helpers/kustomize.ts) supports exactly what the manifests use and rejects
 * anything else, so a manifest change it cannot follow fails here instead of being checked wrongly.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { SETTINGS } from '../../src/config/schema.ts';
import { exposureProblem } from '../../src/api/exposure.ts';
import { startServiceServer, type ServiceServer } from '../../src/metrics/http-server.ts';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { topicNames } from '../../src/dataflow/topics.ts';
import { build, CLUSTER_SCOPED, CONFIG_MAP, envFile, K8S, K8S_BUILDS, podConfig, read, ROOT, SECRET_EXAMPLE, type Kustomization, type Resource } from '../helpers/kustomize.ts';

// --- what the code says ------------------------------------------------------------------------

/** Bytes of a Kubernetes memory quantity, cores of a CPU quantity. */
function quantity(value: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(value));
  if (!m) throw new Error(`not a quantity: ${value}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

const execFileAsync = promisify(execFile);
const helpCache = new Map<string, Promise<string>>();

/** `era-ingest <command…> --help`, once per command. */
function cliHelp(command: string[]): Promise<string> {
  const key = command.join(' ');
  if (!helpCache.has(key)) {
    helpCache.set(key, execFileAsync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...command, '--help'], { cwd: ROOT, timeout: 30_000 }).then((r) => r.stdout));
  }
  return helpCache.get(key)!;
}

/**
 * Whether the CLI has `args` (`['topics', 'create']`, `['stage', 'chunk']`), read from the help
 * of each parent: a listed subcommand, or a choice of its argument. (The exit code of
 * `<args> --help` cannot tell: for an unknown command commander prints the root help, exit 0.)
 */
async function cliHas(args: readonly string[]): Promise<boolean> {
  for (let i = 0; i < args.length; i++) {
    const parent = args.slice(0, i);
    const help = await cliHelp(parent);
    if (!help.startsWith(`Usage: era-ingest ${parent.map((p) => `${p} `).join('')}`)) return false;
    const commands = help.split(/^Commands:$/m)[1] ?? '';
    const choices = /\(choices: ([^)]*)\)/.exec(help)?.[1] ?? '';
    if (!new RegExp(`^ {2}${args[i]}\\b`, 'm').test(commands) && !choices.includes(`"${args[i]}"`)) return false;
  }
  return true;
}

// --- the builds --------------------------------------------------------------------------------

const SECRET = 'era-ingest-secrets';
/** Room the runtime needs above the in-flight bytes a stage may hold. */
const RUNTIME_HEADROOM_BYTES = 192 * 2 ** 20;
/** Time after the drain deadline for the final commit, leaving the group and disconnecting. */
const SHUTDOWN_MARGIN_MS = 10_000;

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}

function podSpec(r: Resource): { containers: Container[]; initContainers?: Container[]; [key: string]: any } {
  return r.spec.template.spec;
}

const containersOf = (r: Resource): Container[] => [...(podSpec(r).initContainers ?? []), ...podSpec(r).containers];

describe.each(K8S_BUILDS)('%s', (dir) => {
  const resources = build(dir);
  const find = (kind: string, name: string) => resources.find((r) => r.kind === kind && r.metadata.name === name);
  const of = (kind: string) => resources.filter((r) => r.kind === kind);
  const deployment = (stage: string) => find('Deployment', `era-ingest-${stage}`)!;
  const scaledObject = (stage: string) => find('ScaledObject', `era-ingest-${stage}`)!;
  const job = of('Job')[0]!;
  const configMap = find('ConfigMap', CONFIG_MAP);
  const data = configMap?.data ?? {};
  const secretExample = envFile(read(SECRET_EXAMPLE));
  const config = podConfig(resources);

  it('has a Deployment, a ScaledObject and a PodDisruptionBudget for each stage, the API\'s Deployment and Service, and nothing else', () => {
    const components = (kind: string) => of(kind).map((r) => r.metadata.labels?.['app.kubernetes.io/component']).sort();
    for (const kind of ['ScaledObject', 'PodDisruptionBudget']) expect(components(kind), kind).toEqual([...PIPELINE.stageNames].sort());
    expect(components('Deployment')).toEqual([...PIPELINE.stageNames, 'api'].sort());
    expect(of('Service').map((r) => r.metadata.name)).toEqual(['era-ingest-api']);
    for (const stage of PIPELINE.stageNames) {
      expect(deployment(stage), stage).toBeDefined();
      expect(scaledObject(stage), stage).toBeDefined();
      expect(find('PodDisruptionBudget', `era-ingest-${stage}`), stage).toBeDefined();
    }
    expect(of('Job').map((j) => j.metadata.name)).toEqual(['era-ingest-setup']);
  });

  it('runs `stage <name>` through the image\'s entrypoint, one image for every pod', () => {
    const images = new Set<string>();
    for (const stage of PIPELINE.stageNames) {
      const [container, ...sidecars] = podSpec(deployment(stage)).containers;
      expect(sidecars, stage).toEqual([]);
      expect(container!.args, stage).toEqual(['stage', stage]);
      expect(container!.command, `${stage}: keep the image's ENTRYPOINT (era-ingest)`).toBeUndefined();
    }
    for (const r of [...of('Deployment'), job]) for (const c of containersOf(r)) images.add(c.image);
    expect(images.size, [...images].join(', ')).toBe(1);
    expect([...images][0]).toMatch(/(^|\/)era-ingest:(?!latest$)[\w.-]+$/);
  });

  it('configures every pod from the ConfigMap and the Secret, with settings the code reads', () => {
    expect(configMap, `ConfigMap ${CONFIG_MAP}`).toBeDefined();
    for (const [key, value] of Object.entries(data)) {
      const s = Object.values(SETTINGS).find((x) => x.env === key);
      expect(s, `${key} is not a setting in src/config/schema.ts`).toBeDefined();
      expect(s!.schema.safeParse(value).success, `${key}=${value}`).toBe(true);
      expect('secret' in s! && s.secret, `${key} is a secret: put it in the Secret`).toBeFalsy();
    }
    expect(data, 'DATABASE_URL holds a password: Secret only').not.toHaveProperty('DATABASE_URL');
    expect(config.databaseUrl, `${SECRET_EXAMPLE} must give DATABASE_URL`).toBeDefined();
    for (const r of [...of('Deployment'), job]) {
      for (const c of containersOf(r)) {
        const what = `${r.metadata.name}/${c.name}`;
        expect(c.envFrom?.map((e) => e.configMapRef?.name).filter(Boolean), what).toEqual([CONFIG_MAP]);
        expect(c.envFrom?.map((e) => e.secretRef?.name).filter(Boolean), what).toEqual([SECRET]);
        for (const e of c.env ?? []) expect(Object.values(SETTINGS).map((s) => s.env), `${what}: env ${e.name}`).toContain(e.name);
      }
    }
  });

  it('serves metrics and probes on METRICS_PORT, at the paths the service answers', () => {
    const port = config.metricsPort;
    expect(port).toBeGreaterThan(0);
    for (const stage of PIPELINE.stageNames) {
      const d = deployment(stage);
      const [c] = podSpec(d).containers;
      const named = (p: string | number) => (typeof p === 'number' ? p : c!.ports?.find((x) => x.name === p)?.containerPort);
      expect(c!.ports?.find((p) => p.name === 'metrics')?.containerPort, stage).toBe(port);
      expect([c!.livenessProbe?.httpGet?.path, named(c!.livenessProbe!.httpGet!.port)], `${stage} liveness`).toEqual(['/healthz', port]);
      expect([c!.readinessProbe?.httpGet?.path, named(c!.readinessProbe!.httpGet!.port)], `${stage} readiness`).toEqual(['/readyz', port]);
      expect([c!.startupProbe?.httpGet?.path, named(c!.startupProbe!.httpGet!.port)], `${stage} startup`).toEqual(['/healthz', port]);
      const annotations = d.spec.template.metadata.annotations as Record<string, string>;
      expect([annotations['prometheus.io/port'], annotations['prometheus.io/path']], stage).toEqual([String(port), '/metrics']);
    }
  });

  it('gives every container requests within limits, and memory beyond what it may hold in flight', () => {
    const inFlightBytes = config.maxInFlightBytes;
    for (const r of [...of('Deployment'), job]) {
      for (const c of containersOf(r)) {
        const what = `${r.metadata.name}/${c.name}`;
        const { requests, limits } = c.resources ?? {};
        for (const k of ['cpu', 'memory'] as const) {
          expect(requests?.[k], `${what} requests.${k}`).toBeDefined();
          expect(limits?.[k], `${what} limits.${k}`).toBeDefined();
          expect(quantity(requests![k]!), `${what} ${k}`).toBeLessThanOrEqual(quantity(limits![k]!));
        }
        if (r.kind === 'Deployment') expect(quantity(limits!.memory!), `${what}: memory limit vs MAX_IN_FLIGHT_BYTES`).toBeGreaterThanOrEqual(inFlightBytes + RUNTIME_HEADROOM_BYTES);
      }
    }
  });

  it('lets a stage drain and commit on SIGTERM before it is killed', () => {
    const drainMs = config.shutdownTimeoutMs;
    for (const stage of PIPELINE.stageNames) {
      const grace = podSpec(deployment(stage)).terminationGracePeriodSeconds as number | undefined;
      expect((grace ?? 30) * 1000, `${stage}: terminationGracePeriodSeconds vs SHUTDOWN_TIMEOUT_MS`).toBeGreaterThanOrEqual(drainMs + SHUTDOWN_MARGIN_MS);
    }
  });

  it('leaves replicas to KEDA and disrupts one pod of a stage at a time', () => {
    for (const stage of PIPELINE.stageNames) {
      const d = deployment(stage);
      expect(d.spec.replicas, `${stage}: spec.replicas would fight the HPA on every apply`).toBeUndefined();
      const selector = d.spec.selector.matchLabels as Record<string, string>;
      expect(d.spec.template.metadata.labels, stage).toMatchObject(selector);
      const pdb = find('PodDisruptionBudget', `era-ingest-${stage}`)!;
      expect(pdb.spec.selector.matchLabels, stage).toEqual(selector);
      expect(pdb.spec.maxUnavailable ?? pdb.spec.minAvailable, stage).toBeDefined();
      for (const other of PIPELINE.stageNames.filter((s) => s !== stage)) {
        expect(deployment(other).spec.template.metadata.labels, `${stage} PDB must not select ${other} pods`).not.toMatchObject(selector);
      }
    }
  });

  it('scales each stage on its own consumer group and input topics', () => {
    const topics = topicNames(config.topicPrefix);
    for (const stage of PIPELINE.stageNames) {
      const so = scaledObject(stage);
      expect(so.apiVersion).toBe('keda.sh/v1alpha1');
      expect(so.spec.scaleTargetRef, stage).toMatchObject({ name: deployment(stage).metadata.name });
      expect(so.spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
      const triggers = so.spec.triggers as { type: string; metadata: Record<string, string> }[];
      expect(triggers.map((t) => t.type), stage).toEqual(triggers.map(() => 'kafka'));
      expect(triggers.map((t) => t.metadata.topic).sort(), `${stage}: one trigger per input topic`).toEqual(PIPELINE.inputTopics(PIPELINE.stage(stage), config.topicPrefix).sort());
      for (const { metadata } of triggers) {
        expect(metadata.consumerGroup, stage).toBe(`${config.groupPrefix}.${stage}`);
        // Resolved by KEDA from the target container's environment (its envFrom ConfigMap).
        if (metadata.bootstrapServersFromEnv) expect(data, stage).toHaveProperty(metadata.bootstrapServersFromEnv);
        else expect(metadata.bootstrapServers?.split(','), stage).toEqual(config.kafkaBrokers);
        expect(metadata.bootstrapServersFromEnv ?? 'KAFKA_BROKERS').toBe(SETTINGS.kafkaBrokers.env);
        expect(metadata.lagThreshold, stage).toMatch(/^[1-9]\d*$/);
        // The stages consume a partition without a committed offset from the beginning
        // (src/kafka/source.ts, fromBeginning), so that is its lag.
        expect(metadata.offsetResetPolicy, stage).toBe('earliest');
        expect(metadata.allowIdleConsumers ?? 'false', stage).toBe('false');
      }
    }
  });

  it('never scales a stage past its topics\' partitions', () => {
    const partitions = config.topicPartitions;
    for (const stage of PIPELINE.stageNames) {
      const { minReplicaCount = 0, maxReplicaCount = 100 } = scaledObject(stage).spec as { minReplicaCount?: number; maxReplicaCount?: number };
      expect(minReplicaCount, `${stage}: keep one replica (flow control and fresh documents need a running stage)`).toBeGreaterThanOrEqual(1);
      expect(maxReplicaCount, stage).toBeGreaterThanOrEqual(minReplicaCount);
      expect(maxReplicaCount, `${stage}: maxReplicaCount vs TOPIC_PARTITIONS`).toBeLessThanOrEqual(partitions);
    }
  });

  it('runs `serve` on every interface with the token required, probed on API_PORT, behind a Service', () => {
    const api = find('Deployment', 'era-ingest-api')!;
    const [c, ...sidecars] = podSpec(api).containers;
    expect(sidecars).toEqual([]);
    expect(c!.args).toEqual(['serve']);
    expect(c!.command, 'keep the image\'s ENTRYPOINT (era-ingest)').toBeUndefined();
    const env = Object.fromEntries((c!.env ?? []).map((e) => [e.name, e.value]));
    // The pod's own configuration, as serve loads it: beyond loopback it refuses to start without API_TOKEN.
    const apiConfig = loadConfig({ ...data, ...secretExample, ...env });
    expect(apiConfig.apiHost).toBe('0.0.0.0');
    expect(apiConfig.apiAuth, 'API_AUTH=none would serve without a token').toBe('token');
    expect(exposureProblem(apiConfig.apiHost, apiConfig), 'without API_TOKEN in the Secret the pod must refuse to start').toMatch(/Set API_TOKEN/);
    expect(exposureProblem(apiConfig.apiHost, loadConfig({ ...data, ...secretExample, ...env, API_TOKEN: 'a'.repeat(32) }))).toBeUndefined();
    expect(read(SECRET_EXAMPLE)).toMatch(/^# API_TOKEN=/m);
    const port = c!.ports?.find((p) => p.name === 'http')?.containerPort;
    expect(port).toBe(apiConfig.apiPort);
    const named = (p: string | number) => (typeof p === 'number' ? p : c!.ports?.find((x) => x.name === p)?.containerPort);
    expect([c!.livenessProbe?.httpGet?.path, named(c!.livenessProbe!.httpGet!.port)]).toEqual(['/healthz', port]);
    expect([c!.readinessProbe?.httpGet?.path, named(c!.readinessProbe!.httpGet!.port)]).toEqual(['/readyz', port]);
    // SIGTERM: in-flight requests get SHUTDOWN_TIMEOUT_MS before the producer disconnects.
    expect((podSpec(api).terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(config.shutdownTimeoutMs + SHUTDOWN_MARGIN_MS);
    const service = find('Service', 'era-ingest-api')!;
    expect(api.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    for (const stage of PIPELINE.stageNames) expect(deployment(stage).spec.template.metadata.labels, `the API Service must not select ${stage} pods`).not.toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 'http' })]);
  });

  it('creates the topics, then migrates the database, in a Job that retries', () => {
    const spec = podSpec(job);
    expect(spec.initContainers?.map((c) => c.args)).toEqual([['topics', 'create']]);
    expect(spec.containers.map((c) => c.args)).toEqual([['db', 'migrate']]);
    expect(['Never', 'OnFailure']).toContain(spec.restartPolicy);
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    expect(job.spec.ttlSecondsAfterFinished, 'a finished Job must go, or the next apply cannot change it').toBeGreaterThan(0);
  });

  it('runs every pod as an unprivileged user', () => {
    // The image's USER is `node`: the kubelet can only verify runAsNonRoot for a numeric uid.
    const dockerUser = /^USER\s+(\S+)/m.exec(read('Dockerfile'))?.[1];
    for (const r of [...of('Deployment'), job]) {
      const pod = podSpec(r).securityContext as { runAsNonRoot?: boolean; runAsUser?: number };
      expect(pod?.runAsNonRoot, r.metadata.name).toBe(true);
      if (!/^\d+/.test(dockerUser ?? '')) expect(pod?.runAsUser, r.metadata.name).toBeGreaterThan(0);
      for (const c of containersOf(r)) {
        expect(c.securityContext?.allowPrivilegeEscalation, `${r.metadata.name}/${c.name}`).toBe(false);
        // A read-only root filesystem still needs a writable /tmp (os.tmpdir()).
        if (c.securityContext?.readOnlyRootFilesystem) expect(c.volumeMounts?.map((m) => m.mountPath), `${r.metadata.name}/${c.name}`).toContain('/tmp');
      }
    }
  });

  it('is scraped by infra/prometheus/prometheus-kubernetes.yml', () => {
    const prometheus = parse(read('infra/prometheus/prometheus-kubernetes.yml')) as {
      scrape_configs: { job_name: string; relabel_configs: { source_labels?: string[]; regex?: string; action?: string; target_label?: string }[] }[];
    };
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'era-ingest')!;
    const keep = job.relabel_configs.filter((r) => r.action === 'keep');
    const metaLabel = (label: string) => `__meta_kubernetes_pod_label_${label.replace(/[^A-Za-z0-9_]/g, '_')}`;
    for (const stage of PIPELINE.stageNames) {
      const labels = deployment(stage).spec.template.metadata.labels as Record<string, string>;
      const ports = podSpec(deployment(stage)).containers.flatMap((c) => c.ports ?? []).map((p) => p.name);
      const meta: Record<string, string | undefined> = Object.fromEntries(Object.entries(labels).map(([k, v]) => [metaLabel(k), v]));
      for (const rule of keep) {
        const values = rule.source_labels!.map((l) => (l === '__meta_kubernetes_pod_container_port_name' ? ports.find((p) => new RegExp(`^(?:${rule.regex})$`).test(p ?? '')) : meta[l]));
        expect(new RegExp(`^(?:${rule.regex})$`).test(values.join(';')), `${stage}: keep ${rule.source_labels!.join(',')} =~ ${rule.regex}`).toBe(true);
      }
      const stageRule = job.relabel_configs.find((r) => r.target_label === 'stage');
      expect(stageRule?.source_labels?.map((l) => meta[l]), 'the stage target label').toEqual([stage]);
    }
  });

  if (dir !== `${K8S}/base`) {
    it('puts every namespaced object in the overlay\'s namespace, which it creates', () => {
      const namespace = (parse(read(`${dir}/kustomization.yaml`)) as Kustomization).namespace;
      expect(namespace).toBeTruthy();
      expect(of('Namespace').map((n) => n.metadata.name)).toEqual([namespace]);
      for (const r of resources.filter((x) => !CLUSTER_SCOPED.has(x.kind))) expect(r.metadata.namespace, `${r.kind}/${r.metadata.name}`).toBe(namespace);
    });
  }
});

describe('infra/k8s', () => {
  let server: ServiceServer;
  let ready = true;
  beforeAll(async () => {
    server = await startServiceServer({ port: 0, host: '127.0.0.1', registry: new Registry(), live: () => true, ready: () => ready });
  });
  afterAll(() => server.close());

  it('lists every manifest of the base in its kustomization', () => {
    const listed = (parse(read(`${K8S}/base/kustomization.yaml`)) as Kustomization).resources ?? [];
    const files = readdirSync(join(ROOT, K8S, 'base')).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect(files.sort()).toEqual([...listed].sort());
  });

  it('keeps only credentials in the Secret: secret settings, DATABASE_URL and the SASL user name', () => {
    const keys = Object.keys(envFile(read(SECRET_EXAMPLE)));
    const commented = [...read(SECRET_EXAMPLE).matchAll(/^#\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    const secrets = [SETTINGS.databaseUrl.env, SETTINGS.kafkaSaslUsername.env, ...Object.values(SETTINGS).filter((s) => 'secret' in s && s.secret).map((s) => s.env)];
    expect(keys).toContain(SETTINGS.databaseUrl.env);
    for (const key of [...keys, ...commented]) expect(secrets, `${SECRET_EXAMPLE}: ${key}`).toContain(key);
  });

  it('probes paths the stage service answers: /healthz for liveness, /readyz for readiness', async () => {
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${server.port}${path}`)).status;
    ready = true;
    expect([await status('/healthz'), await status('/readyz'), await status('/metrics')]).toEqual([200, 200, 200]);
    ready = false;
    expect(await status('/readyz')).toBe(503);
  });

  it('runs only commands the CLI has: `stage <name>`, `topics create`, `serve`', async () => {
    const commands = new Map<string, string[]>();
    for (const dir of K8S_BUILDS) {
      for (const r of build(dir).filter((x) => ['Deployment', 'Job'].includes(x.kind))) {
        for (const c of containersOf(r)) commands.set(c.args!.join(' '), c.args!);
      }
    }
    commands.delete('db migrate'); // see the next test
    expect([...commands.keys()].sort()).toEqual([...PIPELINE.stageNames.map((s) => `stage ${s}`), 'topics create', 'serve'].sort());
    const found = await Promise.all([...commands.values()].map(async (args) => [args.join(' '), await cliHas(args)]));
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries([...commands.keys()].map((k) => [k, true])));
    expect(await cliHas(['stage', 'no-such-stage']), 'the probe itself').toBe(false);
  }, 60_000);

  // The setup Job runs `era-ingest db migrate`.
  it('has the `db migrate` command the setup Job runs', async () => {
    expect(existsSync(join(ROOT, 'bin/era-ingest.js'))).toBe(true);
    expect(await cliHas(['db', 'migrate'])).toBe(true);
  }, 60_000);
});
