import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Projects run one after another (two cores: timing-sensitive integration tests must
          // not compete with each other for the CPU).
          sequence: { groupOrder: 0 },
          environment: 'node',
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          // Needs a schema registry, not Kafka/PostgreSQL: the `registry` project below.
          exclude: [...configDefaults.exclude, 'test/integration/registry/**'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: one test file at a time keeps broker/database timing honest.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          // Avro codec against a real Confluent-compatible registry (infra/registry/registry.sh).
          name: 'registry',
          include: ['test/integration/registry/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/registry-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 15 * 60_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          // The real embedding model: Ollama serving all-MiniLM-L6-v2 (infra/ollama/ollama.sh),
          // semantic assertions, the errors only a real server shows, the real-model pipeline.
          name: 'model',
          include: ['test/model/**/*.test.ts'],
          sequence: { groupOrder: 3 },
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/ollama-setup.ts'],
          testTimeout: 300_000,
          // A first start builds Ollama into the per-user cache (about 9 minutes on 2 cores).
          hookTimeout: 25 * 60_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          // Fault injection: stage kills, broker/database outages (private instances), embedder
          // outages, poison storms, rebalance storms, hostile input. FAULTS_SOAK=1 runs longer.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          sequence: { groupOrder: 4 },
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          // OpenTelemetry traces through the four stage processes into a real Jaeger v2
          // (infra/jaeger/jaeger.sh), read back from its query API.
          name: 'tracing',
          include: ['test/tracing/**/*.test.ts'],
          sequence: { groupOrder: 6 },
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/jaeger-setup.ts'],
          testTimeout: 180_000,
          // A first start builds Jaeger into the per-user cache (a few minutes on 2 cores).
          hookTimeout: 20 * 60_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          // The web console in a real headless Chromium (Debian's package, installed by
          // infra/tools/install-chromium.sh; the tests fail, not skip, without it). No Kafka or
          // PostgreSQL: `serve --data-dir` on an embedded store. Screenshots: test-artifacts/console/.
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          sequence: { groupOrder: 5 },
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
