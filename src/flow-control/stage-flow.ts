/**
 * Flow control of a product stage from the configuration: the base rate and burst (FLOW_RATE,
 * FLOW_BURST, else the PROFILE preset), the downstream group the controller watches, and the
 * priority lane of the chunk stage.
 */
import type { Config } from '../config/schema.ts';
import type { TopicNames } from '../topics/names.ts';
import { FlowGate } from './flow-gate.ts';
import type { LagTarget } from './lag-monitor.ts';
import { PRESETS } from './presets.ts';

type StageName = 'chunk' | 'embed' | 'minister' | 'store';

const NEXT: Record<StageName, { stage: StageName; topic: keyof TopicNames } | undefined> = {
  chunk: { stage: 'embed', topic: 'chunks' },
  embed: { stage: 'minister', topic: 'embeddings' },
  minister: { stage: 'store', topic: 'ministers' },
  store: undefined,
};

export interface StageFlow {
  gate: FlowGate;
  downstream?: LagTarget;
  downstreamLagLimit: number;
}

export function stageFlow(stage: StageName, config: Config, topics: TopicNames, nowMs: number): StageFlow {
  const preset = PRESETS[config.profile];
  const rate = config.flowRate === undefined ? preset.ratePerSec : config.flowRate === 'unlimited' ? Number.POSITIVE_INFINITY : config.flowRate;
  const gate = new FlowGate({
    ratePerSec: rate,
    burst: config.flowBurst ?? preset.burst,
    nowMs,
    controller: { sampleIntervalMs: config.flowSampleMs },
    ...(stage === 'chunk' ? { priorityTopic: topics.rawPriority, minNormalShare: config.priorityMinNormalShare } : {}),
  });
  const next = NEXT[stage];
  return {
    gate,
    downstreamLagLimit: config.downstreamLagLimit ?? preset.downstreamLagLimit,
    ...(next ? { downstream: { groupId: `${config.groupPrefix}.${next.stage}`, topic: topics[next.topic] } } : {}),
  };
}
