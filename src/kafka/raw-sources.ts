/**
 * What era.raw holds now, for `publish --sync`: the topic is compacted and keyed by document
 * id, so its latest record per key is the document's current version (a null value: deleted).
 * Read from the beginning to the end offsets taken at the start, with a throwaway consumer
 * group (nothing committed). Memory: one id and one source per document.
 */
import type { Kafka } from 'kafkajs';
import type { AsyncCodec } from '../topics/async-codec.ts';
import type { RawDocument } from '../topics/messages.ts';
import { readToEnd } from './read-to-end.ts';

/**
 * The latest record of every key of `topic`: the document's `source` (null when it names none),
 * or `deleted` for a tombstone. A value that does not decode counts as a document without a
 * source (it was dead-lettered, never stored).
 * @throws Error when the end is not reached within `timeoutMs`; kafkajs errors when the brokers cannot be reached.
 */
export async function latestRawSources(kafka: Kafka, topic: string, codec: AsyncCodec<RawDocument>, timeoutMs = 5 * 60_000): Promise<Map<string, { source: string | null } | 'deleted'>> {
  const latest = new Map<string, { source: string | null } | 'deleted'>();
  await readToEnd(kafka, topic, async (message) => {
    if (message.key === null) return;
    const id = message.key.toString('utf8');
    if (message.value === null) {
      latest.set(id, 'deleted');
      return;
    }
    const doc = await codec.decode(message.value).catch(() => undefined);
    latest.set(id, { source: doc?.source ?? null });
  }, { timeoutMs });
  return latest;
}
