/**
 * The web console of `serve` (./console/): its data from the store the API serves, its flow
 * page sampling the stages' /metrics (CONSOLE_METRICS_URLS) or, when none is configured, this
 * process's own registry (the in-process stages of an embedded store count their outputs there),
 * and its dead letters through the API's port (./ports.ts).
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import { createConsoleData } from './console/console-data.ts';
import type { ConsoleData } from './console/data.ts';
import type { DeadLetterSource } from './ports.ts';
import { FlowSampler, httpSource } from './console/flow-sampler.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import type { QueryEmbedder } from '../storage/hybrid-search.ts';
import type { SqlClient } from '../storage/sql-client.ts';

export interface ConsoleWiring {
  data: ConsoleData;
  /** Stops the flow sampler. */
  stop(): void;
}

export function wireConsole(parts: { db: SqlClient; embedder: QueryEmbedder; config: Config; registry: Registry; store: string; deadLetters: DeadLetterSource }): ConsoleWiring {
  const sources = parts.config.consoleMetricsUrls.length > 0
    ? parts.config.consoleMetricsUrls.map(httpSource)
    : [{ name: 'this process', read: () => parts.registry.metrics() }];
  const flow = new FlowSampler({ stages: PIPELINE.stages.map((s) => s.name), sources });
  flow.start();
  return { data: createConsoleData({ ...parts, flow }), stop: () => flow.stop() };
}
