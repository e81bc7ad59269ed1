/**
 * The API's ports on Kafka (the stage services' deployment): documents are published to the raw
 * lanes, dead letters are era.dlq's, read and replayed by the code of `era-ingest dlq`.
 */
import { topicNames } from '../dataflow/topics.ts';
import type { createKafka } from '../kafka/client.ts';
import { listDeadLetters, replayDeadLetters } from '../kafka/dead-letters.ts';
import type { Publisher } from '../kafka/publisher.ts';
import { HEADERS } from '../topics/headers.ts';
import { rawRecord } from '../topics/raw-record.ts';
import type { DeadLetterSource, DocumentSink } from './ports.ts';

/** Publishes to `${prefix}.raw`, or `${prefix}.raw.priority` with priority; ready while the producer is connected. */
export function kafkaDocumentSink(publisher: Publisher, topicPrefix: string): DocumentSink {
  const topics = topicNames(topicPrefix);
  return {
    async submit(documents, { jobId, priority, nowMs }) {
      const topic = priority ? topics.rawPriority : topics.raw;
      await publisher.send(topic, documents.map((doc) => rawRecord(doc, { jobId, nowMs })));
      return { accepted: documents.length, topic };
    },
    readiness: () => ({ kafka: publisher.connected() }),
  };
}

/** era.dlq through `era-ingest dlq list|replay`'s code; replays commit the consumer group `group` (`${GROUP_PREFIX}.dlq-replay`). */
export function kafkaDeadLetters(kafka: ReturnType<typeof createKafka>, topicPrefix: string, group: string): DeadLetterSource {
  const dlq = topicNames(topicPrefix).dlq;
  return {
    async list(filter, limit) {
      const letters = await listDeadLetters(kafka, dlq, filter, limit);
      return letters.map((d) => ({
        id: `${d.partition}:${d.offset}`, stage: d.stage, code: d.code, message: d.message, docId: d.key, jobId: d.headers[HEADERS.job] ?? null,
        attempts: d.attempts, failedAt: new Date(d.failedAt).toISOString(), value: d.value, valueEncoding: d.valueEncoding,
        kafka: { partition: d.partition, offset: d.offset, originalTopic: d.originalTopic, originalPartition: d.originalPartition, originalOffset: d.originalOffset },
      }));
    },
    replay: (filter, { all }) => replayDeadLetters(kafka, dlq, filter, { group, all }),
  };
}
