/**
 * Dead letters as data: list them with their error headers, and replay them to their original
 * topics (after the cause was fixed) with the attempt counter carried, so a record that fails
 * again lands in the DLQ with `era.dlq.attempts` increased.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import { DLQ_HEADERS, HEADERS, type Headers } from '../topics/headers.ts';
import { headersToStrings } from './headers.ts';
import { connectPublisher } from './publisher.ts';
import { readToEnd } from './read-to-end.ts';

export interface DeadLetter {
  partition: number;
  offset: string;
  key: string | null;
  /** Base64 when the value is not valid UTF-8. */
  value: string | null;
  valueEncoding: 'utf8' | 'base64';
  stage: string;
  code: string;
  message: string;
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  attempts: number;
  failedAt: number;
  headers: Headers;
}

export interface DlqFilter {
  stage?: string;
  code?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Buffer | null): { text: string | null; encoding: 'utf8' | 'base64' } {
  if (bytes === null) return { text: null, encoding: 'utf8' };
  try {
    return { text: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: bytes.toString('base64'), encoding: 'base64' };
  }
}

export function toDeadLetter(message: KafkaMessage, partition: number): DeadLetter {
  const headers = headersToStrings(message.headers);
  const value = text(message.value);
  return {
    partition,
    offset: message.offset,
    key: text(message.key).text,
    value: value.text,
    valueEncoding: value.encoding,
    stage: headers[DLQ_HEADERS.stage] ?? '',
    code: headers[DLQ_HEADERS.errorCode] ?? '',
    message: headers[DLQ_HEADERS.errorMessage] ?? '',
    originalTopic: headers[DLQ_HEADERS.originalTopic] ?? '',
    originalPartition: Number(headers[DLQ_HEADERS.originalPartition] ?? -1),
    originalOffset: headers[DLQ_HEADERS.originalOffset] ?? '',
    attempts: Number(headers[DLQ_HEADERS.attempts] ?? 0),
    failedAt: Number(headers[DLQ_HEADERS.failedAt] ?? 0),
    headers,
  };
}

const matches = (d: { stage: string; code: string }, filter: DlqFilter): boolean => (!filter.stage || d.stage === filter.stage) && (!filter.code || d.code === filter.code);

export async function listDeadLetters(kafka: Kafka, dlqTopic: string, filter: DlqFilter, limit: number): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  await readToEnd(kafka, dlqTopic, (message, partition) => {
    const letter = toDeadLetter(message, partition);
    if (matches(letter, filter) && out.length < limit) out.push(letter);
  });
  return out;
}

/**
 * Headers of a replayed record: the original ones, minus the error details, keeping the attempt
 * count, and claiming the record's original place in the version order (`era.version` = its
 * original offset, unless it already claims one): a replayed raw document is as old as when it
 * was first published, so it can never overtake a version published after it.
 */
export function replayHeaders(headers: Headers): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('era.dlq.') || name === DLQ_HEADERS.attempts) out[name] = value;
  }
  const original = headers[DLQ_HEADERS.originalOffset];
  if (out[HEADERS.version] === undefined && original !== undefined && /^\d+$/.test(original)) out[HEADERS.version] = original;
  return out;
}

/**
 * Re-publishes matching dead letters to their original topics, key and value bytes untouched.
 * Uses the consumer group `group` (committed at the end), so each dead letter is replayed once;
 * `all` replays from the beginning of the DLQ instead.
 */
export async function replayDeadLetters(kafka: Kafka, dlqTopic: string, filter: DlqFilter, { group, all }: { group: string; all: boolean }): Promise<{ replayed: number; skipped: number; byTopic: Record<string, number> }> {
  const publisher = await connectPublisher(kafka);
  const byTopic: Record<string, number> = {};
  let skipped = 0;
  try {
    await readToEnd(kafka, dlqTopic, async (message) => {
      const headers = headersToStrings(message.headers);
      const letter = { stage: headers[DLQ_HEADERS.stage] ?? '', code: headers[DLQ_HEADERS.errorCode] ?? '' };
      const topic = headers[DLQ_HEADERS.originalTopic];
      if (!matches(letter, filter) || !topic) {
        skipped += 1;
        return;
      }
      await publisher.send(topic, [{ key: message.key, value: message.value, headers: replayHeaders(headers) }]);
      byTopic[topic] = (byTopic[topic] ?? 0) + 1;
    }, all ? { fromBeginning: true } : { groupId: group, commit: true, fromBeginning: true });
  } finally {
    await publisher.close();
  }
  return { replayed: Object.values(byTopic).reduce((a, b) => a + b, 0), skipped, byTopic };
}
