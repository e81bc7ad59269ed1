import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type Consumer, type KafkaConfig, type SASLOptions } from 'kafkajs';
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

/** Bytes of one fetch response, and of one partition in it (kafkajs: 10 MiB and 1 MiB). */
const FETCH_MAX_BYTES = 2 * 1024 * 1024;
const FETCH_MAX_BYTES_PER_PARTITION = 256 * 1024;

/** The consumer of a stage's group: reads committed records only, in small fetches. */
export function stageConsumer(kafka: Kafka, groupId: string): Consumer {
  return kafka.consumer({
    groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, sessionTimeout: 30_000, heartbeatInterval: 3_000,
    // Outputs of aborted transactions (exactly-once upstream stages, the priority lane) are never read.
    readUncommitted: false,
    // Fetch responses are whole Buffers until every message of them is copied out; kafkajs'
    // defaults (10 MiB, 1 MiB a partition) let a draining stage hold tens of MB of them.
    // A message larger than the limit still arrives alone (the broker returns the first batch).
    maxBytes: FETCH_MAX_BYTES, maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
  });
}

/** The Kafka error type of a kafkajs error (`LEADER_NOT_AVAILABLE`, `PRODUCER_FENCED`, …), or of the error it wraps (a retrier's last failure). */
export function kafkaErrorType(error: unknown): string | undefined {
  const e = error as { type?: string; cause?: { type?: string } } | undefined;
  return e?.type ?? e?.cause?.type;
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
