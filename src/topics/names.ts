/**
 * The one place that knows topic names (DESIGN.md §3): `${TOPIC_PREFIX}.<name>`.
 */
export const TOPIC_SUFFIXES = {
  raw: 'raw',
  rawPriority: 'raw.priority',
  chunks: 'chunks',
  embeddings: 'embeddings',
  ministers: 'ministers',
  stored: 'stored',
  dlq: 'dlq',
  /** Chunks to embed again with another model (`era-ingest reembed`), era.chunks' format. */
  reembed: 'reembed',
} as const;

export type TopicKey = keyof typeof TOPIC_SUFFIXES;
export type TopicNames = Record<TopicKey, string>;

export const DEFAULT_TOPIC_PREFIX = 'era';

export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  const names = {} as TopicNames;
  for (const [key, suffix] of Object.entries(TOPIC_SUFFIXES) as [TopicKey, string][]) {
    names[key] = `${prefix}.${suffix}`;
  }
  return names;
}

/** Log-compacted topics keep the latest value per key (era.raw: the whole corpus stays replayable). */
export const COMPACTED_TOPICS: readonly TopicKey[] = ['raw', 'rawPriority'];
