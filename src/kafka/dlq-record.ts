/**
 * The dead-letter record of a poison input (DESIGN.md §3): key and value bytes exactly as
 * received, the input's own headers kept, the error headers added (the same information as
 * Kafka Connect's `__connect.errors.*`).
 */
import type { PipelineError } from '../errors/pipeline-error.ts';
import { DLQ_HEADERS } from '../topics/headers.ts';
import type { InputMessage, OutputRecord } from './records.ts';

const MAX_STACK = 2000;
const MAX_MESSAGE = 1000;

export interface DlqContext {
  stage: string;
  group: string;
  dlqTopic: string;
  nowMs: number;
}

export function dlqRecord(input: InputMessage, error: PipelineError, attempts: number, ctx: DlqContext): OutputRecord {
  const previous = Number(input.headers[DLQ_HEADERS.attempts] ?? 0);
  return {
    topic: ctx.dlqTopic,
    key: input.key,
    value: input.value,
    headers: {
      ...input.headers,
      [DLQ_HEADERS.stage]: ctx.stage,
      [DLQ_HEADERS.errorCode]: error.code,
      [DLQ_HEADERS.errorMessage]: error.message.slice(0, MAX_MESSAGE),
      [DLQ_HEADERS.errorStack]: (error.stack ?? '').slice(0, MAX_STACK),
      [DLQ_HEADERS.originalTopic]: input.topic,
      [DLQ_HEADERS.originalPartition]: String(input.partition),
      [DLQ_HEADERS.originalOffset]: input.offset,
      [DLQ_HEADERS.originalTimestamp]: input.timestamp,
      [DLQ_HEADERS.consumerGroup]: ctx.group,
      [DLQ_HEADERS.attempts]: String(Number.isFinite(previous) ? previous + attempts : attempts),
      [DLQ_HEADERS.failedAt]: String(ctx.nowMs),
    },
  };
}
