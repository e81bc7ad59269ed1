/**
 * Flow control of a stage from the configuration: the base rate and burst (FLOW_RATE,
 * FLOW_BURST, else the PROFILE preset), the downstream group the adaptive controller watches
 * (the stage that reads this stage's output, from the dataflow), and the priority lane when the
 * stage reads a stream that has one.
 */
import type { Config } from '../config/schema.ts';
import { PRESETS } from '../config/presets.ts';
import type { Dataflow, StageSpec } from '../dataflow/declare.ts';
import { FlowGate } from '../flow-control/flow-gate.ts';
import { stageGroupId } from '../kafka/groups.ts';
import type { LagTarget } from '../kafka/lag-monitor.ts';

export interface StageFlow {
  gate: FlowGate;
  downstream?: LagTarget;
  downstreamLagLimit: number;
}

export function stageFlow(flow: Dataflow, stage: StageSpec, config: Config, nowMs: number): StageFlow {
  const preset = PRESETS[config.profile];
  const rate = config.flowRate === undefined ? preset.ratePerSec : config.flowRate === 'unlimited' ? Number.POSITIVE_INFINITY : config.flowRate;
  const inputs = flow.inputTopics(stage, config.topicPrefix);
  const gate = new FlowGate({
    ratePerSec: rate,
    burst: config.flowBurst ?? preset.burst,
    nowMs,
    controller: { sampleIntervalMs: config.flowSampleMs },
    ...(inputs.length > 1 ? { priorityTopic: inputs[0]!, minNormalShare: config.priorityMinNormalShare } : {}),
  });
  const next = flow.downstreamOf(stage);
  return {
    gate,
    downstreamLagLimit: config.downstreamLagLimit ?? preset.downstreamLagLimit,
    ...(next ? { downstream: { groupId: stageGroupId(config.groupPrefix, next.name), topic: flow.outputTopic(stage, config.topicPrefix) } } : {}),
  };
}
