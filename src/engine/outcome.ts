/**
 * The result of one input after a transform ran: its outputs, or the poison error that sends it
 * to the dead letters (with the attempts it took). `M` is what the runner tracks the input as:
 * the consumed record in the Kafka runner, the message and its origin in the in-process runner.
 */
import type { PipelineError } from '../errors/pipeline-error.ts';

export type Outcome<M, Out> =
  | { readonly input: M; readonly outputs: readonly Out[]; readonly poison?: undefined }
  | { readonly input: M; readonly outputs: readonly []; readonly poison: PipelineError; readonly attempts: number };
