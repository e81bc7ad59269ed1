/**
 * Records as the Kafka port sees them: a consumed record with the ticket of its offset, and a
 * record to produce. Only src/kafka knows these; transforms see decoded messages.
 */
import type { Outcome } from '../engine/outcome.ts';
import type { Ticket } from '../engine/offset-tracker.ts';
import type { Headers } from '../topics/headers.ts';

/** One consumed record, as the source hands it on. */
export interface InputMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  /** Record timestamp, ms epoch as a string (kafkajs). */
  readonly timestamp: string;
  readonly ticket: Ticket;
}

/** One record to produce. `value: null` is a tombstone; `key: null` only for a dead letter of a keyless record. */
export interface OutputRecord {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

/** An input's outcome with its outputs encoded (what the Kafka sink produces). */
export type RecordOutcome = Outcome<InputMessage, OutputRecord>;

/** An output message with the record it was encoded to. */
export interface Encoded<Out> {
  readonly value: Out;
  readonly record: OutputRecord;
}

/** The outcome of one consumed record, its outputs encoded (what the stage runner hands its sink). */
export type StageOutcome<Out> = Outcome<InputMessage, Encoded<Out>>;
