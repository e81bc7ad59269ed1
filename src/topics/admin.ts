import type { Admin, ITopicConfig } from 'kafkajs';
import { COMPACTED_TOPICS, topicNames, type TopicKey } from './names.ts';

export interface EnsureTopicsOptions {
  prefix: string;
  partitions: number;
  replicationFactor: number;
  /** Largest record the raw and DLQ topics must accept (MAX_DOCUMENT_BYTES plus headroom). */
  maxMessageBytes: number;
  /** Only these topics. @defaultValue all */
  only?: TopicKey[];
}

/** Topic settings from the configuration: the raw and DLQ topics accept MAX_DOCUMENT_BYTES plus headroom for headers. */
export function topicOptions(config: { topicPrefix: string; topicPartitions: number; topicReplicationFactor: number; maxDocumentBytes: number }): EnsureTopicsOptions {
  return { prefix: config.topicPrefix, partitions: config.topicPartitions, replicationFactor: config.topicReplicationFactor, maxMessageBytes: config.maxDocumentBytes + 1024 * 1024 };
}

/** Topic configuration per topic (DESIGN.md §3): raw lanes compacted, the rest time-retained. */
export function topicSpecs({ prefix, partitions, replicationFactor, maxMessageBytes, only }: EnsureTopicsOptions): ITopicConfig[] {
  const names = topicNames(prefix);
  const keys = only ?? (Object.keys(names) as TopicKey[]);
  return keys.map((key) => {
    const configEntries = [{ name: 'max.message.bytes', value: String(maxMessageBytes) }];
    if (COMPACTED_TOPICS.includes(key)) configEntries.push({ name: 'cleanup.policy', value: 'compact' });
    else configEntries.push({ name: 'retention.ms', value: String(7 * 24 * 3600 * 1000) });
    return { topic: names[key], numPartitions: partitions, replicationFactor, configEntries };
  });
}

/**
 * Creates the topics that do not exist yet (idempotent). Returns the names created.
 * Existing topics are left as they are (their partition count is the operator's choice).
 */
export async function ensureTopics(admin: Admin, options: EnsureTopicsOptions): Promise<string[]> {
  const specs = topicSpecs(options);
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (error) {
    // Another process created some of them meanwhile: fine, as long as they exist now.
    const now = new Set(await admin.listTopics());
    if (!missing.every((s) => now.has(s.topic))) throw error;
  }
  return missing.map((s) => s.topic);
}
