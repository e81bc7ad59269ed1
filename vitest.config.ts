import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * A project of tests against real processes: one test file at a time (two cores: broker and
 * database timing stays honest), after the projects of lower `groupOrder` (projects run one
 * after another for the same reason). `setups` are global setups after the services'.
 */
function realProject(options: { name: string; include: string[]; groupOrder: number; setups?: string[]; services?: boolean; testTimeout: number; hookTimeout: number; exclude?: string[] }): TestProjectInlineConfiguration {
  const { name, include, groupOrder, setups = [], services = true, testTimeout, hookTimeout, exclude } = options;
  return {
    test: {
      name, include, ...(exclude ? { exclude } : {}),
      sequence: { groupOrder },
      environment: 'node',
      globalSetup: [...(services ? ['test/helpers/global-setup.ts'] : []), ...setups],
      testTimeout, hookTimeout,
      pool: 'forks',
      poolOptions: { forks: { singleFork: true } },
    },
  };
}

export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 }, environment: 'node', testTimeout: 10_000 } },
      // Kafka and PostgreSQL (the registry tests are the `registry` project).
      realProject({ name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/integration/registry/**'], groupOrder: 1, testTimeout: 120_000, hookTimeout: 120_000 }),
      // Avro codec against a real Confluent-compatible registry (infra/registry/registry.sh).
      realProject({ name: 'registry', include: ['test/integration/registry/**/*.test.ts'], groupOrder: 2, setups: ['test/helpers/registry-setup.ts'], testTimeout: 120_000, hookTimeout: 15 * 60_000 }),
      // The real embedding model: Ollama serving all-MiniLM-L6-v2 (infra/ollama/ollama.sh),
      // semantic assertions, the errors only a real server shows, the real-model pipeline. A
      // first start builds Ollama into the per-user cache (about 9 minutes on 2 cores).
      realProject({ name: 'model', include: ['test/model/**/*.test.ts'], groupOrder: 3, setups: ['test/helpers/ollama-setup.ts'], testTimeout: 300_000, hookTimeout: 25 * 60_000 }),
      // Fault injection: stage kills, broker/database outages (private instances), embedder
      // outages, poison storms, rebalance storms, hostile input, exactly-once under SIGKILL,
      // scaling out and in. FAULTS_SOAK=1 runs longer.
      realProject({ name: 'faults', include: ['test/faults/**/*.test.ts'], groupOrder: 4, testTimeout: 300_000, hookTimeout: 300_000 }),
      // The web console in a real headless Chromium (Debian's package, installed by
      // infra/tools/install-chromium.sh; the tests fail, not skip, without it). No Kafka or
      // PostgreSQL: `serve --data-dir` on an embedded store. Screenshots: test-artifacts/console/.
      realProject({ name: 'browser', include: ['test/browser/**/*.test.ts'], groupOrder: 5, services: false, testTimeout: 180_000, hookTimeout: 180_000 }),
      // OpenTelemetry traces through the four stage processes into a real Jaeger v2
      // (infra/jaeger/jaeger.sh), read back from its query API. A first start builds Jaeger into
      // the per-user cache (about 5 minutes on 2 cores).
      realProject({ name: 'tracing', include: ['test/tracing/**/*.test.ts'], groupOrder: 6, setups: ['test/helpers/jaeger-setup.ts'], testTimeout: 180_000, hookTimeout: 20 * 60_000 }),
    ],
  },
});
