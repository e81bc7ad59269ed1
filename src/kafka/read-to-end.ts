/**
 * Reads a topic from a group's position to the end offsets taken at the start (dead letters,
 * tests), then stops.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { groupPositions, readFrom } from './admin.ts';
import { confirmedCommit } from './confirmed-commit.ts';

export interface ReadToEndOptions {
  /** Consumer group; default a throwaway one (nothing committed that matters). */
  groupId?: string;
  /** Commit what was read (for groups that remember progress, e.g. DLQ replay). @defaultValue false */
  commit?: boolean;
  /** Start from the beginning when the group has no committed offset. @defaultValue true */
  fromBeginning?: boolean;
  /** Give up after this long. @defaultValue 60_000 ms */
  timeoutMs?: number;
}

/**
 * Reads `topic` from the group's position up to the end offsets taken at the start, calling
 * `onMessage` for each record in partition order, then stops. Resolves with the count read.
 */
export async function readToEnd(kafka: Kafka, topic: string, onMessage: (message: KafkaMessage, partition: number) => Promise<void> | void, options: ReadToEndOptions = {}): Promise<number> {
  const { groupId = `era-reader-${randomUUID()}`, commit = false, fromBeginning = true, timeoutMs = 60_000 } = options;
  const admin = kafka.admin();
  await admin.connect();
  let positions;
  try {
    positions = await groupPositions(admin, groupId, topic);
  } finally {
    await admin.disconnect();
  }
  const ends = new Map(positions.map((p) => [p.partition, p.high]));
  const remaining = new Set(positions.filter((p) => readFrom(p, fromBeginning) < p.high).map((p) => p.partition));
  if (remaining.size === 0) return 0;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  let count = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning });
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    // A partition is done when the reader passed the end taken at the start. Offsets no
    // read_committed reader gets (transaction markers, aborted records) count: kafkajs hands on
    // the last offset of every batch it fetched, also of one it skips whole.
    const passed = (partition: number, lastOffset: string): void => {
      if (BigInt(lastOffset) + 1n >= ends.get(partition)!) remaining.delete(partition);
      if (remaining.size === 0) finish();
    };
    const skipped = consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) passed(payload.partition, payload.lastOffset);
    });
    await consumer.run({
      autoCommit: commit,
      // Only what was handed on is resolved (and committed): never records past the end.
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const end = ends.get(batch.partition)!;
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= end) break;
          await onMessage(message, batch.partition);
          count += 1;
          resolveOffset(message.offset);
          await heartbeat(); // onMessage may be slow (a replay's acknowledged send); kafkajs throttles it
        }
        passed(batch.partition, batch.lastOffset());
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach its end within ${timeoutMs} ms`)), timeoutMs)))]);
    clearTimeout(timer);
    skipped();
    if (commit) await confirmedCommit(consumer)([...ends].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })));
  } finally {
    await consumer.disconnect();
  }
  return count;
}
