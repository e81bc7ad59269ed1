import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { topicNames, topicSpecs } from '../../src/dataflow/topics.ts';
import { StageRunner, type StageRunnerOptions } from '../../src/kafka/stage-runner.ts';
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

/** A runner with test defaults; it ensures the pipeline's topics of the config's prefix (the DLQ among them). */
export function testRunner<In, Out>(options: Omit<StageRunnerOptions<In, Out>, 'kafka' | 'logger' | 'metrics'> & Partial<Pick<StageRunnerOptions<In, Out>, 'kafka' | 'logger' | 'metrics'>>): StageRunner<In, Out> {
  return new StageRunner({
    kafka: testKafka('stage'),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', { test: true }),
    metrics: createMetrics(undefined, { defaults: false }),
    retryPolicy: { initialMs: 20, maxMs: 200, factor: 2, maxAttempts: Number.POSITIVE_INFINITY, deadlineMs: Number.POSITIVE_INFINITY },
    topics: topicSpecs(options.config.topicPrefix),
    ...options,
  });
}
