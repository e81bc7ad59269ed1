/**
 * The vocabulary of a dataflow declaration (./pipeline.ts declares the product's): streams
 * (each one topic, or two with a priority lane, carrying one message kind) and stages (a
 * transform from one stream to the next). `dataflow()` checks a declaration once and derives
 * everything the rest of the code asks of it: stage names, each stage's input and output
 * topics, the stage downstream of another, job phases. Nothing else lists the stages.
 *
 * A dataflow is a chain: the first stage reads the source stream, every later stage reads the
 * stream its predecessor writes. Stage and stream names are unique.
 */
import { COMPLETE_PHASE, FAILED_PHASE, QUEUED_PHASE } from '../storage/jobs.ts';
import type { MessageKind, Messages } from '../topics/messages.ts';
import { streamTopics } from '../topics/names.ts';
import type { StageContext, Transform } from '../stages/transform.ts';

export interface StreamSpec<K extends MessageKind = MessageKind, N extends string = string> {
  /** Topic suffix: the topic is `${TOPIC_PREFIX}.<name>`. */
  readonly name: N;
  readonly kind: K;
  /** A second topic `<name>.priority`, served first by the consuming stage (starvation guard). */
  readonly priorityLane?: boolean;
  /** Log-compacted (the latest value per key is kept) instead of time-retained. */
  readonly compacted?: boolean;
}

/** Declares a stream. */
export function stream<const N extends string, K extends MessageKind>(name: N, kind: K, options: { priorityLane?: boolean; compacted?: boolean } = {}): StreamSpec<K, N> {
  return { name, kind, ...options };
}

/** Kubernetes/compose sizing of a stage's pods (scripts/gen-deploy.ts). */
export interface DeployHints {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
  /** KEDA: desired replicas = ceil(input lag / lagThreshold). */
  readonly lagThreshold: number;
  /** Lines for the manifest's opening comment: what an operator should know. */
  readonly notes: readonly string[];
}

export interface StageSpec<N extends string = string, I extends StreamSpec = StreamSpec, O extends StreamSpec = StreamSpec> {
  readonly name: N;
  /** One line: what the stage does (help texts, manifests). */
  readonly summary: string;
  readonly input: I;
  readonly output: O;
  /** Job phase of a document while this stage works on it (`era-ingest status`). */
  readonly phase: string;
  /** Dependencies besides Kafka that `create` opens through the shared resources: how the service sizes its database pool, what compose waits for. */
  readonly needs: { readonly embedder?: boolean; readonly database?: 'required' | 'optional' };
  readonly deploy: DeployHints;
  /** Builds the stage's transform. Retriable rejections (a dependency starting) are retried. */
  create(context: StageContext): Promise<Transform<Messages[I['kind']], Messages[O['kind']]>>;
}

/** Declares a stage (keeps the literal names for the derived types). */
export function stage<const N extends string, I extends StreamSpec, O extends StreamSpec>(spec: StageSpec<N, I, O>): StageSpec<N, I, O> {
  return spec;
}


export interface Dataflow<S extends readonly StageSpec[] = readonly StageSpec[]> {
  readonly stages: S;
  /** The stream the first stage reads: documents as published. */
  readonly source: S[0]['input'];
  /** Every stream, in dataflow order (the source first). */
  readonly streams: ReadonlyArray<S[number]['input'] | S[number]['output']>;
  readonly stageNames: ReadonlyArray<S[number]['name']>;
  /** Job phases in order: queued, each stage's phase, complete, failed. */
  readonly phases: readonly string[];
  /** The stage named `name`. @throws RangeError naming the stages that exist. */
  stage(name: string): S[number];
  has(name: string): name is S[number]['name'];
  /** The stage that reads `stage`'s output, if any. */
  downstreamOf(stage: StageSpec): S[number] | undefined;
  /** The phase a document enters once `stage`'s outputs for it are durable (undefined for the last stage: its events complete it). */
  phaseAfter(stage: StageSpec): string | undefined;
  /** Topics `stage` consumes, priority lane first. */
  inputTopics(stage: StageSpec, prefix: string): string[];
  outputTopic(stage: StageSpec, prefix: string): string;
  isLast(stage: StageSpec): boolean;
}

/**
 * Checks a declaration and derives its views.
 * @throws RangeError naming the offending stage or stream (duplicate names, a broken chain,
 *   a priority lane anywhere but on the source).
 */
export function dataflow<const S extends readonly [StageSpec, ...StageSpec[]]>(stages: S): Dataflow<S> {
  const names = new Set<string>();
  const streams: StreamSpec[] = [stages[0].input];
  stages.forEach((s, i) => {
    if (names.has(s.name)) throw new RangeError(`dataflow: stage name "${s.name}" is declared twice`);
    names.add(s.name);
    if (i > 0 && s.input !== stages[i - 1]!.output) {
      throw new RangeError(`dataflow: stage "${s.name}" reads stream "${s.input.name}" but the stage before it, "${stages[i - 1]!.name}", writes "${stages[i - 1]!.output.name}"`);
    }
    if (s.output.priorityLane) throw new RangeError(`dataflow: stream "${s.output.name}" has a priority lane; only the source stream may have one`);
    if (streams.some((t) => t.name === s.output.name)) throw new RangeError(`dataflow: stream name "${s.output.name}" is used twice`);
    streams.push(s.output);
  });
  const phases = [QUEUED_PHASE, ...stages.map((s) => s.phase), COMPLETE_PHASE, FAILED_PHASE];
  if (new Set(phases).size !== phases.length) throw new RangeError(`dataflow: job phases must be unique, got ${phases.join(', ')}`);
  const index = (s: StageSpec): number => {
    const i = stages.indexOf(s as S[number]);
    if (i < 0) throw new RangeError(`dataflow: stage "${s.name}" is not part of this dataflow`);
    return i;
  };
  const flow: Dataflow<S> = {
    stages,
    source: stages[0].input,
    streams: streams as Dataflow<S>['streams'],
    stageNames: stages.map((s) => s.name),
    phases,
    stage(name) {
      const found = stages.find((s) => s.name === name);
      if (!found) throw new RangeError(`no stage "${name}": the stages are ${stages.map((s) => s.name).join(', ')}`);
      return found;
    },
    has: (name): name is S[number]['name'] => names.has(name),
    downstreamOf: (s) => stages[index(s) + 1],
    phaseAfter: (s) => stages[index(s) + 1]?.phase,
    inputTopics: (s, prefix) => streamTopics(prefix, s.input),
    outputTopic: (s, prefix) => streamTopics(prefix, s.output).at(-1)!,
    isLast: (s) => index(s) === stages.length - 1,
  };
  return flow;
}
