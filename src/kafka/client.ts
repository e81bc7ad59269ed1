import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/schema.ts';
import { DependencyError } from '../errors/pipeline-error.ts';
import type { Logger } from '../log/logger.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

type KafkaSettings = Pick<Config, 'kafkaBrokers' | 'kafkaClientId' | 'kafkaSsl' | 'kafkaSslCa' | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword'>;

/** kafkajs configuration from our settings: brokers, TLS, SASL (PLAIN, SCRAM-SHA-256/512). */
export function kafkaConfig(config: KafkaSettings, logger?: Logger, clientSuffix = ''): KafkaConfig {
  let sasl: SASLOptions | undefined;
  if (config.kafkaSaslMechanism !== 'none') {
    sasl = { mechanism: config.kafkaSaslMechanism, username: config.kafkaSaslUsername ?? '', password: config.kafkaSaslPassword ?? '' } as SASLOptions;
  }
  const ssl = config.kafkaSsl ? (config.kafkaSslCa ? { ca: [readFileSync(config.kafkaSslCa, 'utf8')] } : true) : false;
  return {
    clientId: clientSuffix ? `${config.kafkaClientId}-${clientSuffix}` : config.kafkaClientId,
    brokers: config.kafkaBrokers,
    ssl,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    ...(logger
      ? {
          logCreator: () => ({ namespace, level, log }) => {
            const { message, ...extra } = log;
            logger[LEVELS[level] ?? 'info']({ kafkajs: namespace, ...extra }, message);
          },
        }
      : {}),
  };
}

export function createKafka(config: KafkaSettings, logger?: Logger, clientSuffix = ''): Kafka {
  return new Kafka(kafkaConfig(config, logger, clientSuffix));
}

/**
 * A kafkajs failure that may pass (not the leader yet, coordinator loading, broker unreachable:
 * KafkaJSError.retriable) as a retriable DependencyError, for `retry`; anything else unchanged.
 */
export function asKafkaDependencyError(error: unknown): unknown {
  const e = error as { retriable?: unknown; message?: unknown; name?: unknown } | undefined;
  const retriable = e?.retriable === true || e?.name === 'KafkaJSNumberOfRetriesExceeded' || e?.name === 'KafkaJSConnectionError';
  return retriable ? new DependencyError('kafka', String(e?.message ?? error), error) : error;
}
