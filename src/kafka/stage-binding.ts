/**
 * A stage of a dataflow bound to Kafka: the topics it reads and writes (derived from the
 * declaration), how a consumed record becomes the transform's input message (the topic's codec,
 * the record key, the version and job the runner knows), and how an output message becomes a
 * record (codec, key = the document id, the input's carried headers). The only place where
 * bytes, keys and headers meet the dataflow's messages.
 */
import type { Config } from '../config/schema.ts';
import type { Dataflow, StageSpec, StreamSpec } from '../dataflow/declare.ts';
import type { Transform } from '../stages/transform.ts';
import { codecFor, decodeRaw, encodeMessage, registryFor, type AsyncCodec, type WireValues } from '../topics/codec-async.ts';
import { HEADERS } from '../topics/headers.ts';
import { messageKey, type MessageKind, type Messages } from '../topics/messages.ts';
import { rawLimits, type RawLimits } from '../topics/raw-document.ts';
import { PipelineError } from '../errors/pipeline-error.ts';
import { outputHeaders } from './headers.ts';
import { claimedVersion } from './priority-forwarder.ts';
import type { InputMessage, OutputRecord } from './records.ts';

/** What the Kafka runner needs of a stage. */
export interface KafkaStageBinding<In, Out> {
  /** Stage name: consumer group `${GROUP_PREFIX}.<name>`, logs, metrics, the DLQ's stage header. */
  readonly name: string;
  /** Topics consumed, the priority lane first. */
  readonly inputTopics: readonly string[];
  /** The input stream's priority lane and main topic: the runner appends the lane's records to the main topic first (./priority-forwarder.ts). */
  readonly priorityLane?: { readonly from: string; readonly to: string };
  readonly transform: Transform<In, Out>;
  /** Record → input message. Rejects with a non-retriable PipelineError for poison, a retriable one for a registry outage. */
  decode(message: InputMessage): Promise<In>;
  /** Output message → record, carrying `input`'s headers. */
  encode(output: Out, input: InputMessage): Promise<OutputRecord>;
}

const EMPTY = Buffer.alloc(0);

/**
 * The version of the document in a raw record (README "Guarantees"): its offset in the stream's
 * main topic — or an older version it claims (`era.version`, kept by `dlq replay`: a replayed
 * record keeps its place in the order; a claim can only move a record back, never ahead). A
 * record of the priority lane has no offset in the main topic of its own: the runner appended it
 * there first and wrote the version that append got into `era.version`.
 * @throws PipelineError INTERNAL for a priority-lane record the runner did not append.
 */
export function rawVersion(message: InputMessage, mainTopic: string): number {
  const claim = claimedVersion(message.headers);
  if (message.topic !== mainTopic) {
    if (claim === undefined) throw new PipelineError('INTERNAL', `a record of ${message.topic} reached the stage without the version of its append to ${mainTopic}`);
    return claim;
  }
  const offset = Number(message.offset);
  return claim !== undefined && claim < offset ? claim : offset;
}

/** Decodes a record of `kind` with the topic's codec; `mainTopic` is the input stream's own topic (for raw versions). */
export async function decodeMessage<K extends MessageKind>(kind: K, codec: AsyncCodec<WireValues[K]>, message: InputMessage, limits: RawLimits, mainTopic: string): Promise<Messages[K]> {
  if (kind !== 'raw') return (await codec.decode(message.value ?? EMPTY)) as unknown as Messages[K];
  const doc = await decodeRaw(codec as AsyncCodec<WireValues['raw']>, message.key, message.value, limits);
  const jobId = doc?.jobId ?? message.headers[HEADERS.job];
  const entry: Messages['raw'] = { docId: doc?.id ?? message.key!.toString('utf8'), doc, version: rawVersion(message, mainTopic), ...(jobId !== undefined ? { jobId } : {}) };
  return entry as Messages[K];
}

/** Binds `spec` of `flow` with its transform. With CODEC=avro this registers the value schemas of its topics. */
export async function bindStage<I extends MessageKind, O extends MessageKind>(
  flow: Dataflow,
  spec: StageSpec<string, StreamSpec<I>, StreamSpec<O>>,
  transform: Transform<Messages[I], Messages[O]>,
  config: Config,
): Promise<KafkaStageBinding<Messages[I], Messages[O]>> {
  const registry = registryFor(config);
  const inputTopics = flow.inputTopics(spec, config.topicPrefix);
  const codecs = new Map<string, AsyncCodec<WireValues[I]>>();
  for (const topic of inputTopics) codecs.set(topic, await codecFor(spec.input.kind, topic, config, registry));
  const outputTopic = flow.outputTopic(spec, config.topicPrefix);
  const outputCodec = await codecFor(spec.output.kind, outputTopic, config, registry);
  const limits = rawLimits(config);
  const mainTopic = inputTopics.at(-1)!;
  return {
    name: spec.name,
    inputTopics,
    ...(inputTopics.length > 1 ? { priorityLane: { from: inputTopics[0]!, to: mainTopic } } : {}),
    transform,
    decode: (message) => decodeMessage(spec.input.kind, codecs.get(message.topic)!, message, limits, mainTopic),
    async encode(output, input) {
      return {
        topic: outputTopic,
        key: messageKey(spec.output.kind, output),
        value: await encodeMessage(spec.output.kind, outputCodec, output),
        headers: outputHeaders(input, (output as { jobId?: string }).jobId),
      };
    },
  };
}
