/**
 * docker-compose.yml and Dockerfile cannot run here (no Docker engine), so this test reads them
 * and checks what would otherwise only fail on a user's machine: every service can be created,
 * the infrastructure reports health, and the stages' environment is exactly the configuration
 * the code reads (src/config/schema.ts), pointing at the services of the same file.
 */
import { imageNodeOptions } from '../../bench/lib/build.ts';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exposureProblem } from '../../src/api/exposure.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config/schema.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: (string | { type?: string; source?: string })[];
  restart?: string;
  stop_grace_period?: string;
  ports?: (string | number)[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const STAGES = PIPELINE.stageNames;
const stageService = (stage: string) => services[`stage-${stage}`]!;
const SETTING_BY_ENV = new Map<string, (typeof SETTINGS)[keyof typeof SETTINGS]>(Object.values(SETTINGS).map((s) => [s.env, s]));

/** A service's environment as strings, with compose's `${VAR:-default}` resolved to its default. */
function env(service: Service): Record<string, string> {
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw) ? raw.map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(raw);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(String(v ?? ''))]));
}

function interpolate(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '');
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  return Array.isArray(deps) ? Object.fromEntries(deps.map((d) => [d, undefined])) : Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.condition]));
}

/** The port of the URL in a stage's healthcheck. */
function healthcheckPort(service: Service): string | undefined {
  const test = [service.healthcheck?.test ?? []].flat().join(' ');
  return /https?:\/\/[^/:\s'"]+:(\d+)\/healthz/.exec(test)?.[1];
}

function seconds(duration: string | undefined): number {
  const m = /^(\d+)(ms|s|m)$/.exec(duration ?? '');
  if (!m) return 10; // Docker's default grace period.
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60 } as const)[m[2] as 'ms' | 's' | 'm'];
}

describe('docker-compose.yml', () => {
  it('defines the infrastructure, the init job, the four stages and monitoring', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['kafka', 'postgres', 'ollama', 'init', 'prometheus', 'grafana', ...STAGES.map((s) => `stage-${s}`)]));
  });

  it('gives every service an image or a build, and pins third-party images to a tag', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, `${name} needs image or build`).toBeTruthy();
      if (service.image && !service.build) expect(service.image, `${name} should pin a version`).toMatch(/:(?!latest$)[\w.-]+$/);
    }
    expect(services.kafka!.image).toMatch(/^apache\/kafka:/);
    expect(services.postgres!.image).toMatch(/^pgvector\/pgvector:/);
    expect(services.ollama!.image).toMatch(/^ollama\/ollama:/);
  });

  it('sends the stages\' traces to its Jaeger, of the v2 line infra/jaeger builds', () => {
    expect(services.jaeger!.image).toMatch(/^jaegertracing\/jaeger:2\./);
    for (const stage of STAGES) expect(env(stageService(stage)).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
  });

  it('has healthchecks on the infrastructure and the stages', () => {
    for (const name of ['kafka', 'postgres', 'ollama', ...STAGES.map((s) => `stage-${s}`)]) {
      const hc = services[name]!.healthcheck;
      expect(hc?.disable, `${name} healthcheck disabled`).not.toBe(true);
      expect([hc?.test ?? []].flat().length, `${name} needs a healthcheck`).toBeGreaterThan(0);
    }
    expect([services.postgres!.healthcheck!.test].flat().join(' ')).toMatch(/pg_isready/);
    expect([services.kafka!.healthcheck!.test].flat().join(' ')).toMatch(/kafka-(broker-api-versions|topics)\.sh/);
  });

  it('runs exactly `stage chunk|embed|minister|store` from the repository\'s Dockerfile', () => {
    for (const stage of STAGES) {
      const service = stageService(stage);
      expect(service.command).toEqual(['stage', stage]);
      expect(service.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    }
    expect(services.init!.command).toEqual(['topics', 'create']);
  });

  it('gives the stages only settings the code reads, each valid for its schema', () => {
    for (const name of ['init', ...STAGES.map((s) => `stage-${s}`)]) {
      const vars = env(services[name]!);
      expect(Object.keys(vars), name).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'TOPIC_PREFIX']));
      for (const [key, value] of Object.entries(vars)) {
        // OpenTelemetry's standard variables are read by its SDK (src/tracing/sdk.ts), not by our schema.
        if (key.startsWith('OTEL_')) continue;
        const setting = SETTING_BY_ENV.get(key);
        expect(setting, `${name}: ${key} is not a setting in src/config/schema.ts`).toBeDefined();
        const parsed = setting!.schema.safeParse(value);
        expect(parsed.success, `${name}: ${key}=${value} fails its schema: ${parsed.error?.message}`).toBe(true);
      }
    }
  });

  it('points the stages at the services of this file', () => {
    const vars = env(stageService('store'));
    const kafkaEnv = env(services.kafka!);
    const advertised = kafkaEnv.KAFKA_ADVERTISED_LISTENERS!.split(',').map((l) => l.replace(/^\w+:\/\//, ''));
    for (const broker of vars.KAFKA_BROKERS!.split(',')) {
      expect(advertised, 'KAFKA_BROKERS must be an advertised listener').toContain(broker);
      expect(services).toHaveProperty(broker.split(':')[0]!);
    }
    const db = new URL(vars.DATABASE_URL!);
    const pg = env(services.postgres!);
    expect([db.hostname, db.port || '5432', db.username, db.password, db.pathname.slice(1)]).toEqual(['postgres', '5432', pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB]);
    for (const host of vars.OLLAMA_HOST!.split(',')) expect(services).toHaveProperty(new URL(host).hostname);
    expect(services['ollama-pull']?.command).toEqual(['pull', '${EMBED_MODEL:-all-minilm}']);
    expect(interpolate('${EMBED_MODEL:-all-minilm}')).toBe(vars.EMBED_MODEL);
  });

  it('runs the API (`serve`) on the stages\' settings, on every interface, refusing to start until API_TOKEN is set', () => {
    const api = services.api!;
    expect(api.command).toEqual(['serve']);
    expect(api.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    const vars = env(api);
    const { API_HOST, API_PORT, API_TOKEN, ...shared } = vars;
    expect(shared, 'the stages\' environment').toEqual(env(stageService('store')));
    for (const [key, value] of Object.entries(vars)) {
      if (key.startsWith('OTEL_')) continue; // read by the OpenTelemetry SDK (src/tracing/sdk.ts)
      const setting = SETTING_BY_ENV.get(key);
      expect(setting, `api: ${key} is not a setting in src/config/schema.ts`).toBeDefined();
      if (value !== '') expect(setting!.schema.safeParse(value).success, `api: ${key}=${value}`).toBe(true);
    }
    expect(read('docker-compose.yml')).toMatch(/API_TOKEN: \$\{API_TOKEN:-\}/);
    // Without API_TOKEN in the shell or .env: the default refusal of serve beyond loopback.
    const config = loadConfig(vars);
    expect(config.apiHost).toBe('0.0.0.0');
    expect(API_TOKEN).toBe('');
    expect(exposureProblem(config.apiHost, config)).toMatch(/Set API_TOKEN/);
    expect(exposureProblem(config.apiHost, loadConfig({ ...vars, API_TOKEN: 'a'.repeat(32) }))).toBeUndefined();
    // Healthy once ready (Kafka producer and PostgreSQL), on the port it listens on, published to loopback only.
    const test = [api.healthcheck?.test ?? []].flat().join(' ');
    expect(/https?:\/\/127\.0\.0\.1:(\d+)\/readyz/.exec(test)?.[1]).toBe(String(config.apiPort));
    expect(API_PORT).toBe(String(config.apiPort));
    expect(api.ports?.map(String)).toEqual([`127.0.0.1:\${API_PORT:-8080}:${config.apiPort}`]);
    expect(dependsOn(api)).toMatchObject({ init: 'service_completed_successfully', postgres: 'service_healthy' });
    expect(API_HOST).toBe('0.0.0.0');
  });

  it('gives every stage the same environment', () => {
    const first = env(stageService('chunk'));
    for (const stage of STAGES) expect(env(stageService(stage)), stage).toEqual(first);
  });

  it('checks /healthz on METRICS_PORT, which Prometheus scrapes', () => {
    const prometheus = parse(read('infra/prometheus/prometheus.yml')) as {
      scrape_configs: { dns_sd_configs?: { names: string[]; port: number }[]; static_configs?: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((c) => [
      ...(c.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
      ...(c.static_configs ?? []).flatMap((s) => s.targets),
    ]);
    for (const stage of STAGES) {
      const service = stageService(stage);
      const port = env(service).METRICS_PORT;
      expect(port, stage).toMatch(/^\d+$/);
      expect(healthcheckPort(service), `stage-${stage} healthcheck port`).toBe(port);
      expect(targets).toContain(`stage-${stage}:${port}`);
    }
  });

  it('starts things in order: topics before stages, each dependency healthy first', () => {
    expect(dependsOn(services.init!)).toMatchObject({ kafka: 'service_healthy' });
    for (const stage of STAGES) expect(dependsOn(stageService(stage))).toMatchObject({ init: 'service_completed_successfully' });
    for (const stage of PIPELINE.stages) {
      if (stage.needs.database === 'required') expect(dependsOn(stageService(stage.name))).toMatchObject({ postgres: 'service_healthy' });
      if (stage.needs.embedder) expect(Object.keys(dependsOn(stageService(stage.name))).some((d) => d.startsWith('ollama')), stage.name).toBe(true);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(service))) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
        if (condition === 'service_healthy') expect(services[dep]!.healthcheck?.test, `${dep} needs a healthcheck for ${name}`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(services[dep]!.restart, `${dep} must be one-shot`).toBe('no');
      }
    }
  });

  it('lets a stage drain on SIGTERM before Docker kills it', () => {
    const drainMs = Number(SETTINGS.shutdownTimeoutMs.default);
    for (const stage of STAGES) {
      const configured = env(stageService(stage)).SHUTDOWN_TIMEOUT_MS;
      expect(seconds(stageService(stage).stop_grace_period) * 1000, stage).toBeGreaterThan(configured ? Number(configured) : drainMs);
    }
  });

  it('mounts only files that exist in the repository', () => {
    const mounts = Object.values(services).flatMap((s) => s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0]! : v.source ?? ''));
    const binds = mounts.filter((m) => m.startsWith('.') || m.startsWith('/'));
    expect(binds.length).toBeGreaterThan(0);
    for (const bind of binds) expect(existsSync(join(ROOT, bind)), bind).toBe(true);
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.reduce<string[][]>((acc, line) => (/^FROM\s/i.test(line) ? [...acc, [line]] : (acc.at(-1)?.push(line), acc)), []);
  const final = stages.at(-1) ?? [];
  const instr = (stage: string[], name: string) => stage.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

  it('builds in stages on node:22-bookworm-slim (Node 22 LTS), with production dependencies only in the image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM node:22-bookworm-slim(\s|$)/);
    const depsStage = stages.find((s) => instr(s, 'RUN').some((r) => /npm ci\b.*--omit=dev/.test(r)));
    expect(depsStage, 'a stage runs `npm ci --omit=dev`').toBeDefined();
    const depsName = /\sAS\s+(\S+)/i.exec(depsStage![0]!)?.[1];
    expect(instr(final, 'COPY').some((c) => c.includes(`--from=${depsName}`) && c.includes('node_modules'))).toBe(true);
    expect(instr(final, 'RUN').some((r) => /npm (ci|install)\b(?!.*--omit=dev)/.test(r))).toBe(false);
  });

  it('runs the compiled JavaScript: dist/ from a stage that runs `npm run build`, no TypeScript sources in the image', () => {
    const buildStage = stages.find((s) => instr(s, 'RUN').some((r) => /npm run build\b/.test(r)));
    expect(buildStage, 'a stage runs `npm run build`').toBeDefined();
    const buildName = /\sAS\s+(\S+)/i.exec(buildStage![0]!)?.[1];
    expect(instr(final, 'COPY').some((c) => c.includes(`--from=${buildName}`) && /\bdist\b/.test(c))).toBe(true);
    expect(instr(final, 'COPY').some((c) => /(^|\s)\.?\/?src(\s|$)/.test(c))).toBe(false);
  });

  it('gives the bench\'s stage processes the NODE_OPTIONS of the image', () => {
    const options = /\bNODE_OPTIONS=(\S+)/.exec(instr(final, 'ENV').join(' '))?.[1];
    expect(options).toMatch(/--max-semi-space-size=\d+/);
    expect(imageNodeOptions()).toBe(options);
  });

  it('runs as a non-root user', () => {
    const user = instr(final, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('starts the package\'s bin, exposes METRICS_PORT and copies only what exists', () => {
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    const entrypoint = JSON.parse(instr(final, 'ENTRYPOINT').at(-1) ?? '[]') as string[];
    expect(entrypoint.join(' ')).toMatch(new RegExp(`(^era-ingest$|/app/${pkg.bin['era-ingest']!.replace('.', '\\.')}$)`));
    expect(instr(final, 'EXPOSE').join(' ').split(/\s+/)).toContain(env(stageService('chunk')).METRICS_PORT);
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    const sources = instr(final, 'COPY').filter((c) => !c.startsWith('--from')).flatMap((c) => c.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['config', 'bin']));
    for (const source of sources) {
      expect(ignored, `${source} is excluded by .dockerignore`).not.toContain(source);
      expect(existsSync(join(ROOT, source)), `COPY ${source}: missing in the repository`).toBe(true);
    }
  });
});
