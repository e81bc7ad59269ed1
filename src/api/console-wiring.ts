/**
 * The web console of `serve` (../console/): its data from the store the API serves, its flow
 * page sampling the stages' /metrics (CONSOLE_METRICS_URLS) or, when none is configured, this
 * process's own registry, and its dead letters from the source the mode has (era.dlq with Kafka,
 * through src/kafka/dead-letters.ts, the same functions as `era-ingest dlq list|replay`).
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { createConsoleData } from '../console/console-data.ts';
import type { ConsoleData, DeadLetterSource, DeadLetterView } from '../console/data.ts';
import { FlowSampler, httpSource } from '../console/flow-sampler.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { topicNames } from '../dataflow/topics.ts';
import { createKafka } from '../kafka/client.ts';
import { listDeadLetters, replayDeadLetters, type DeadLetter } from '../kafka/dead-letters.ts';
import type { QueryEmbedder } from '../storage/hybrid-search.ts';
import type { SqlClient } from '../storage/sql-client.ts';

export interface ConsoleWiring {
  data: ConsoleData;
  /** Stops the flow sampler. */
  stop(): void;
}

function letterView(l: DeadLetter): DeadLetterView {
  return {
    id: `${l.partition}/${l.offset}`, stage: l.stage, code: l.code, message: l.message,
    docId: l.key, jobId: l.headers['era.job'] ?? null,
    attempts: l.attempts, failedAt: new Date(l.failedAt),
    headers: Object.fromEntries(Object.entries(l.headers).filter(([k]) => k !== 'era.dlq.error.stack')),
  };
}

/** era.dlq as the console's dead-letter source: list and replay as `era-ingest dlq` does. */
export function kafkaDeadLetters(config: Config): DeadLetterSource {
  const topic = topicNames(config.topicPrefix).dlq;
  return {
    list: async (filter, limit) => (await listDeadLetters(createKafka(config, undefined, 'console-dlq'), topic, filter, limit)).map(letterView),
    replay: async (filter, all) => {
      const r = await replayDeadLetters(createKafka(config, undefined, 'console-dlq-replay'), topic, filter, { group: `${config.groupPrefix}.dlq-replay`, all });
      return { replayed: r.replayed, summary: `replayed ${r.replayed} dead letters${Object.entries(r.byTopic).map(([t, n]) => `, ${n} to ${t}`).join('')}; ${r.skipped} did not match` };
    },
  };
}

export function wireConsole(parts: { db: SqlClient; embedder: QueryEmbedder; config: Config; registry: Registry; store: string; deadLetters: DeadLetterSource }): ConsoleWiring {
  const sources = parts.config.consoleMetricsUrls.length > 0
    ? parts.config.consoleMetricsUrls.map(httpSource)
    : [{ name: 'this process', read: () => parts.registry.metrics() }];
  const flow = new FlowSampler({ stages: PIPELINE.stages.map((s) => s.name), sources });
  flow.start();
  return { data: createConsoleData({ ...parts, flow }), stop: () => flow.stop() };
}
