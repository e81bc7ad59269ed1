/**
 * Re-ingestion: moves a stage's consumer group back (or forward) on its input topics. Refused
 * while the group has members (kafkajs, like Kafka's own tool, can only reset an empty group).
 */
import type { Kafka } from 'kafkajs';
import { ConflictError } from '../errors/pipeline-error.ts';
import { groupMembers, groupPositions, setGroupOffsets } from './admin.ts';
import { stageGroupId } from './groups.ts';

export type ReplayTarget = { kind: 'earliest' | 'latest' } | { kind: 'time'; ms: number } | { kind: 'offset'; offset: string };

export interface ReplayRequest {
  stage: string;
  groupPrefix: string;
  /** The stage's input topics. */
  topics: readonly string[];
  target: ReplayTarget;
}

export interface ReplayResult {
  groupId: string;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

function positionFor(target: ReplayTarget, low: bigint, high: bigint): bigint {
  if (target.kind === 'earliest') return low;
  if (target.kind !== 'offset') return high;
  const offset = BigInt(target.offset);
  return offset > high ? high : offset;
}

export async function replayGroup(kafka: Kafka, { stage, groupPrefix, topics, target }: ReplayRequest): Promise<ReplayResult> {
  const groupId = stageGroupId(groupPrefix, stage);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { members, state } = await groupMembers(admin, groupId);
    if (members > 0) throw new ConflictError(`group ${groupId} has ${members} active member(s) (state ${state}): stop the ${stage} stage's services, then replay`);
    const result: ReplayResult = { groupId, topics: [] };
    for (const topic of topics) {
      const positions = await groupPositions(admin, groupId, topic);
      // Explicit offsets (kafkajs' resetOffsets stores the -2/-1 markers instead).
      const offsets = target.kind === 'time'
        ? (await admin.fetchTopicOffsetsByTimestamp(topic, target.ms)).map((o) => ({ partition: o.partition, offset: BigInt(o.offset) }))
        : positions.map((p) => ({ partition: p.partition, offset: positionFor(target, p.low, p.high) }));
      await setGroupOffsets(admin, groupId, topic, offsets);
      result.topics.push({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.offset.toString() })) });
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}
