/**
 * Admin operations of the Kafka port: topics (created explicitly, never by the broker's
 * auto-creation; DESIGN.md §3), and the one read of a group's position on a topic —
 * first retained, end and committed offset per partition — that lag, replay, reading to the
 * end and the re-embedding all use.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { abortableSleep } from '../engine/backoff.ts';
import { DependencyError } from '../errors/pipeline-error.ts';
import type { TopicSpec } from '../topics/names.ts';
import { kafkaErrorType } from './client.ts';

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  /** Largest record a topic must accept (MAX_DOCUMENT_BYTES plus headroom for headers). */
  maxMessageBytes: number;
}

const RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Topic settings from the configuration: topics accept MAX_DOCUMENT_BYTES plus 1 MiB for headers. */
export function topicSettings(config: { topicPartitions: number; topicReplicationFactor: number; maxDocumentBytes: number }): TopicSettings {
  return { partitions: config.topicPartitions, replicationFactor: config.topicReplicationFactor, maxMessageBytes: config.maxDocumentBytes + 1024 * 1024 };
}

/** kafkajs topic configurations: compacted streams keep the latest value per key, the rest are time-retained. */
export function topicConfigs(specs: readonly TopicSpec[], { partitions, replicationFactor, maxMessageBytes }: TopicSettings): ITopicConfig[] {
  return specs.map((spec) => ({
    topic: spec.topic,
    numPartitions: partitions,
    replicationFactor,
    configEntries: [
      { name: 'max.message.bytes', value: String(maxMessageBytes) },
      spec.compacted ? { name: 'cleanup.policy', value: 'compact' } : { name: 'retention.ms', value: String(RETENTION_MS) },
    ],
  }));
}

/**
 * Creates the topics that do not exist yet (idempotent). Returns the names created. Existing
 * topics are left as they are (their partition count is the operator's choice).
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[], settings: TopicSettings): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topicConfigs(specs, settings).filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
  } catch (error) {
    // Another process created some of them meanwhile: fine, as long as they exist now.
    const now = new Set(await admin.listTopics());
    if (!missing.every((s) => now.has(s.topic))) throw error;
  }
  await waitForLeaders(admin, missing.map((s) => s.topic));
  return missing.map((s) => s.topic);
}

/** Metadata errors a topic shows while its partitions' leaders are being elected. */
const SETTLING = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER']);

/**
 * Waits until every partition of `topics` has a leader that serves it. By hand rather than
 * kafkajs' `createTopics({ waitForLeaders: true })`: that retries only LEADER_NOT_AVAILABLE,
 * while a loaded broker also answers UNKNOWN_TOPIC_OR_PARTITION for a topic it is still creating
 * (tulios/kafkajs#815), and names a partition's leader in its metadata before that leader serves
 * it (ListOffsets and Produce answer NOT_LEADER_FOR_PARTITION meanwhile; kafkajs'
 * `admin.fetchTopicOffsets` gives up on that at once). So a topic is ready when its end offsets
 * can be read.
 */
export async function waitForLeaders(admin: Admin, topics: readonly string[], { timeoutMs = 60_000, intervalMs = 100 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let waitingFor: string;
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const leaderless = metadata.flatMap((t) => t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}:${p.partitionId}`));
      if (leaderless.length === 0 && metadata.length === topics.length) {
        await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
        return;
      }
      waitingFor = `partitions without a leader: ${leaderless.join(', ') || 'topics missing from the metadata'}`;
    } catch (error) {
      const type = kafkaErrorType(error);
      if (!type || !SETTLING.has(type)) throw error;
      waitingFor = `${type} (${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new DependencyError('kafka', `topics ${topics.join(', ')} have no leader after ${timeoutMs} ms: ${waitingFor}`);
    await abortableSleep(intervalMs);
  }
}

/** Where a group stands on one partition of a topic. */
export interface PartitionPosition {
  partition: number;
  /** First retained offset. */
  low: bigint;
  /** End offset: the offset the next record will get. */
  high: bigint;
  /** The group's next offset to read; undefined when it committed nothing here. */
  committed: bigint | undefined;
}

/** The group's position on every partition of `topic` (one end-offsets and one committed-offsets request). */
export async function groupPositions(admin: Admin, groupId: string, topic: string): Promise<PartitionPosition[]> {
  const [ends, [group]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  return ends.map((e) => {
    const c = committed.get(e.partition);
    return { partition: e.partition, low: BigInt(e.low), high: BigInt(e.high), committed: c === undefined || c < 0n ? undefined : c };
  });
}

/** Where the group reads next on a partition: its commit, else the start (`fromBeginning`) or the end. */
export const readFrom = (p: PartitionPosition, fromBeginning = true): bigint => p.committed ?? (fromBeginning ? p.low : p.high);

/** Sets the group's committed offset on every partition of `topic` (the group must have no members). */
export async function setGroupOffsets(admin: Admin, groupId: string, topic: string, offsets: ReadonlyArray<{ partition: number; offset: bigint }>): Promise<void> {
  await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.offset.toString() })) });
}

/** Members of a consumer group (0 when it does not exist). */
export async function groupMembers(admin: Admin, groupId: string): Promise<{ members: number; state: string }> {
  const { groups: [group] } = await admin.describeGroups([groupId]);
  return { members: group?.members.length ?? 0, state: group?.state ?? 'Dead' };
}

export interface WaitOptions {
  /** Wraps each admin call (the caller's retry of broker outages). */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Settles when the consumer being waited for stopped: the wait ends with it. */
  stopped: Promise<void>;
  signal: AbortSignal;
  /** @defaultValue 250 ms */
  intervalMs?: number;
}

/** Resolves when the group has committed, on every partition of `topic`, the end offset as it was at the call. */
export async function waitForGroupAtEnd(admin: Admin, groupId: string, topic: string, { call, stopped, signal, intervalMs = 250 }: WaitOptions): Promise<void> {
  const ends = new Map((await call(() => groupPositions(admin, groupId, topic))).map((p) => [p.partition, p]));
  for (;;) {
    const now = await call(() => groupPositions(admin, groupId, topic));
    if (now.every((p) => { const end = ends.get(p.partition) ?? p; return end.high === end.low || (p.committed ?? -1n) >= end.high; })) return;
    await Promise.race([abortableSleep(intervalMs, signal), stopped]);
  }
}
