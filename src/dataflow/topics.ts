/**
 * Topic names of a dataflow, derived from its streams (src/topics/names.ts makes the names):
 * `topicNames(prefix).chunks` is `${prefix}.chunks`, `.rawPriority` the source's priority lane,
 * `.dlq` and `.reembed` the services' topics.
 */
import { DEFAULT_TOPIC_PREFIX, SERVICE_STREAMS, streamTopics, topicCatalogue, topicName, type TopicSpec } from '../topics/names.ts';
import type { Dataflow } from './declare.ts';
import { PIPELINE, type Pipeline } from './pipeline.ts';

type StreamName<D extends Dataflow> = D['streams'][number]['name'];
type SourceName<D extends Dataflow> = D['source']['name'];

export type TopicNames<D extends Dataflow = Pipeline> =
  & { readonly [K in StreamName<D>]: string }
  & { readonly [K in SourceName<D> as `${K}Priority`]: string }
  & { readonly [K in keyof typeof SERVICE_STREAMS]: string };

export function topicNames<D extends Dataflow = Pipeline>(prefix: string = DEFAULT_TOPIC_PREFIX, flow: D = PIPELINE as unknown as D): TopicNames<D> {
  const names: Record<string, string> = {};
  for (const s of flow.streams) {
    const [first, ...rest] = streamTopics(prefix, s);
    names[s.name] = rest.at(-1) ?? first!;
    if (rest.length) names[`${s.name}Priority`] = first!;
  }
  for (const [key, service] of Object.entries(SERVICE_STREAMS)) names[key] = topicName(prefix, service.name);
  return names as TopicNames<D>;
}

/** Every topic of the dataflow and the services, with the settings that tell them apart. */
export function topicSpecs(prefix: string, flow: Dataflow = PIPELINE): TopicSpec[] {
  return topicCatalogue(prefix, flow.streams);
}

/** The topics of the source stream (its lanes): what publishing needs, and nothing more. */
export function sourceTopicSpecs(prefix: string, flow: Dataflow = PIPELINE): TopicSpec[] {
  const lanes = new Set(streamTopics(prefix, flow.source));
  return topicSpecs(prefix, flow).filter((t) => lanes.has(t.topic));
}
