import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { StageRunner, type StageRunnerOptions } from '../../src/runtime/stage-runner.ts';
import { topicNames } from '../../src/topics/names.ts';
import { kafkaBrokers } from './services.ts';
import { testKafka } from './kafka.ts';
import { uniqueName } from './names.ts';

/** Settings for a test stage: a unique topic prefix and group prefix, fast commits. */
export function testConfig(overrides: Record<string, string> = {}) {
  return loadConfig({
    KAFKA_BROKERS: kafkaBrokers().join(','),
    TOPIC_PREFIX: uniqueName('t'),
    GROUP_PREFIX: uniqueName('g'),
    TOPIC_PARTITIONS: '3',
    COMMIT_INTERVAL_MS: '100',
    SHUTDOWN_TIMEOUT_MS: '10000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  });
}

export function allTopics(prefix: string): string[] {
  return Object.values(topicNames(prefix));
}

export function testRunner<T>(options: Omit<StageRunnerOptions<T>, 'kafka' | 'logger' | 'metrics'> & Partial<Pick<StageRunnerOptions<T>, 'kafka' | 'logger' | 'metrics'>>): StageRunner<T> {
  return new StageRunner({
    kafka: testKafka('stage'),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', { test: true }),
    metrics: createMetrics(undefined, { defaults: false }),
    retryPolicy: { initialMs: 20, maxMs: 200, factor: 2, maxAttempts: Number.POSITIVE_INFINITY },
    ...options,
  });
}
