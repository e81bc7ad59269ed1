/**
 * KEDA and the adaptive flow controller act on the same number in opposite directions, so they
 * must agree on it. The number: the lag of stage S's consumer group on the output topic of the
 * stage U before it (end − committed offsets summed over the partitions). KEDA scales S out on it
 * (infra/k8s/base/stage-<S>.yaml: desired replicas = ceil(lag / lagThreshold), at most
 * maxReplicaCount); U's adaptive controller (src/flow-control/adaptive-controller.ts, wired by
 * src/service/stage-flow.ts from PROFILE and DOWNSTREAM_LAG_LIMIT) slows U down as the same lag
 * fills its downstreamLagLimit (rate × 0.5 above 80 %, pause at 100 %).
 *
 * "Agree", checked for every build (base and overlays) with the configuration its pods load:
 * 1. Same number: S's trigger watches S's group on U's output topic, which is exactly what U's
 *    controller observes as its downstream (so both count records of that topic).
 * 2. Scale out before slowing down: at the lag where KEDA asks for S's last replica —
 *    maxReplicaCount × lagThreshold, a bound that also covers the HPA's 10 % tolerance (from r to
 *    r + 1 replicas once lag > 1.1 × r × lagThreshold, ≤ maxReplicaCount × lagThreshold while
 *    maxReplicaCount ≤ 11; k8s.test.ts keeps it ≤ TOPIC_PARTITIONS) — U's own flow gate neither
 *    lowers its rate nor pauses. Were it the other way round, U would hold the lag below where
 *    KEDA adds replicas, and the pipeline would run throttled at the throughput of fewer S
 *    replicas than the cluster may give it: backpressure is the answer only once S cannot scale
 *    further. The gate is driven here with that observation (pure, fake clock), so the check
 *    follows the controller's rules (its high-water mark, an unlimited rate that only pauses)
 *    instead of restating them.
 * 3. Not vacuous: at its downstreamLagLimit the same gate does pause (a finite limit, same units).
 * 4. KEDA's activationLagThreshold (the 0 ↔ 1 step; unused while minReplicaCount ≥ 1), if set,
 *    is at most lagThreshold, so it never delays the first extra replica.
 * The chunk stage has no upstream stage (publishers are not flow-controlled): nothing to agree.
 *
 * What this does not check: timing. The HPA adds at most 2 pods per 30 s (KEDA polls every 15 s)
 * while the controller samples every FLOW_SAMPLE_MS; a burst fills the limit before the replicas
 * are up, and the upstream stage is then slowed meanwhile, which is what the limit is for.
 */
import { describe, expect, it } from 'vitest';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { stageFlow } from '../../src/service/stage-flow.ts';
import { build, K8S_BUILDS, podConfig } from '../helpers/kustomize.ts';

interface Trigger { type: string; metadata: Record<string, string> }

/** What U's gate decides when S's lag on U's output is `lag`: a fresh gate (as at start), one sample. */
function gateAt(stage: (typeof PIPELINE.stages)[number], config: ReturnType<typeof podConfig>, lag: number) {
  const flow = stageFlow(PIPELINE, stage, config, 0);
  const before = flow.gate.rate;
  const decision = flow.gate.observe({ downstreamLag: lag, downstreamLagLimit: flow.downstreamLagLimit, inputLag: lag }, 0, 0);
  return { slowed: flow.gate.rate < before, paused: decision.pauseAll, reason: decision.reason, flow };
}

describe.each(K8S_BUILDS)('%s: KEDA lag thresholds and the adaptive controller', (dir) => {
  const resources = build(dir);
  const config = podConfig(resources);
  const pairs = PIPELINE.stages.flatMap((upstream) => {
    const next = PIPELINE.downstreamOf(upstream);
    return next ? [{ upstream, stage: next }] : [];
  });

  it('has a stage before every stage but the first', () => {
    expect(pairs.map((p) => p.stage.name)).toEqual(PIPELINE.stageNames.slice(1));
  });

  it.each(pairs.map((p) => [p.stage.name, p] as const))('%s: scaled out by KEDA before the stage before it slows down', (_name, { upstream, stage }) => {
    const so = resources.find((r) => r.kind === 'ScaledObject' && r.metadata.name === `era-ingest-${stage.name}`)!;
    const maxReplicas = so.spec.maxReplicaCount as number;
    const { flow } = gateAt(upstream, config, 0);
    const trigger = (so.spec.triggers as Trigger[]).find((t) => t.metadata.topic === flow.downstream!.topic);
    expect(trigger, `${stage.name}: a trigger on ${flow.downstream!.topic}`).toBeDefined();
    // 1. the same number
    expect(trigger!.metadata.consumerGroup, stage.name).toBe(flow.downstream!.groupId);
    const threshold = Number(trigger!.metadata.lagThreshold);
    // 4. activation never later than the first extra replica
    if (trigger!.metadata.activationLagThreshold !== undefined) expect(Number(trigger!.metadata.activationLagThreshold), `${stage.name} activationLagThreshold`).toBeLessThanOrEqual(threshold);
    // 2. at the lag that asks for the last replica, the stage before neither slows nor pauses
    const full = maxReplicas * threshold;
    const at = gateAt(upstream, config, full);
    const why = `${stage.name}: maxReplicaCount ${maxReplicas} × lagThreshold ${threshold} = ${full} vs ${upstream.name}'s DOWNSTREAM_LAG_LIMIT ${flow.downstreamLagLimit} (PROFILE ${config.profile}): ${at.reason}`;
    expect(at.slowed, why).toBe(false);
    expect(at.paused, why).toBe(false);
    // 3. …and the limit is real: at it, the stage before pauses
    expect(gateAt(upstream, config, flow.downstreamLagLimit).paused, `${upstream.name} pauses at its limit ${flow.downstreamLagLimit}`).toBe(true);
  });
});
