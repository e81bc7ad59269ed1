/**
 * The one place that knows how topic names are made (DESIGN.md §3): `${TOPIC_PREFIX}.<stream>`,
 * plus `<stream>.priority` for a stream with a priority lane. Which streams exist is the
 * dataflow declaration's business (src/dataflow/pipeline.ts); the topics outside it — the
 * dead letters and the re-embedding feed — are named here.
 */
import type { MessageKind } from './messages.ts';

export const DEFAULT_TOPIC_PREFIX = 'era';

/** A stream as far as naming and topic settings go. */
export interface StreamTopicSpec {
  readonly name: string;
  readonly kind: MessageKind;
  readonly priorityLane?: boolean;
  readonly compacted?: boolean;
}

/** Topics of the services around the dataflow. */
export const SERVICE_STREAMS = {
  /** Dead letters: bytes exactly as received (no codec). */
  dlq: { name: 'dlq' },
  /** Chunks to embed again with another model (`era-ingest reembed`), in the chunks' format. */
  reembed: { name: 'reembed', kind: 'chunks' },
} as const satisfies Record<string, { name: string; kind?: MessageKind }>;

export const PRIORITY_SUFFIX = 'priority';

/** `${prefix}.${name}` */
export const topicName = (prefix: string, name: string): string => `${prefix}.${name}`;

/** The topics of a stream: its priority lane first (when it has one), then the stream itself. */
export function streamTopics(prefix: string, stream: Pick<StreamTopicSpec, 'name' | 'priorityLane'>): string[] {
  const main = topicName(prefix, stream.name);
  return stream.priorityLane ? [`${main}.${PRIORITY_SUFFIX}`, main] : [main];
}

/** One topic to create, with what decides its settings and its value codec. */
export interface TopicSpec {
  readonly topic: string;
  /** Message kind of its values; undefined for the DLQ (bytes as received). */
  readonly kind?: MessageKind;
  readonly compacted: boolean;
}

/** Every topic of a dataflow's streams and of the services, in creation order. */
export function topicCatalogue(prefix: string, streams: readonly StreamTopicSpec[]): TopicSpec[] {
  const out: TopicSpec[] = [];
  for (const s of streams) for (const topic of streamTopics(prefix, s)) out.push({ topic, kind: s.kind, compacted: s.compacted === true });
  out.push({ topic: topicName(prefix, SERVICE_STREAMS.dlq.name), compacted: false });
  out.push({ topic: topicName(prefix, SERVICE_STREAMS.reembed.name), kind: SERVICE_STREAMS.reembed.kind, compacted: false });
  return out;
}
