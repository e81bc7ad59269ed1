/**
 * The store stage: `era.ministers` → PostgreSQL (+ `era.stored` completion events).
 *
 * Its sink is the database: `writeBatch` commits one transaction per batch (version flip,
 * deletes, minister aggregates); the events it returns are produced to `era.stored` only after
 * that commit, and the input offsets are committed only after the events are acknowledged.
 */
import type { DecodedInput, OutputRecord, StageDefinition } from '../../runtime/stage.ts';
import { outputHeaders } from '../../runtime/output-headers.ts';
import type { SqlClient } from '../../storage/sql-client.ts';
import { writeBatch } from '../../storage/store.ts';
import type { StageCodecs } from '../../topics/codec-async.ts';
import type { MinistersValue } from '../../topics/messages.ts';
import type { TopicNames } from '../../topics/names.ts';
import { STAGE_INPUTS } from '../inputs.ts';

export interface StoreStageOptions {
  topics: TopicNames;
  client: SqlClient;
  /** Inputs per transaction. @defaultValue 256 */
  batchSize?: number;
  now?: () => number;
  codecs: Pick<StageCodecs, 'ministers' | 'stored'>;
}

export function storeStage({ topics, client, batchSize = 256, now = Date.now, codecs }: StoreStageOptions): StageDefinition<MinistersValue> {
  return {
    name: 'store',
    inputTopics: STAGE_INPUTS.store,
    outputTopics: (t) => [t.stored],
    batch: { size: batchSize, lingerMs: 10 },
    concurrency: 1,
    decode: (message) => codecs.ministers.decode(message.value ?? Buffer.alloc(0)),
    async process(batch: ReadonlyArray<DecodedInput<MinistersValue>>) {
      const events = await writeBatch(client, batch.map((b) => b.value), { now: now() });
      // Attach each document's event to the last input of that document in the batch: all
      // results of a batch are produced together, so which input carries it does not matter
      // for durability, only for the headers it inherits.
      const lastIndex = new Map<string, number>();
      batch.forEach((b, i) => lastIndex.set(b.value.docId, i));
      const outputs: OutputRecord[][] = batch.map(() => []);
      for (const event of events) {
        const i = lastIndex.get(event.id);
        if (i === undefined) continue;
        const { message, value } = batch[i]!;
        const headers = outputHeaders(message, event.jobId ?? value.jobId);
        outputs[i]!.push({ topic: topics.stored, key: event.id, value: await codecs.stored.encode(event), headers });
      }
      return outputs;
    },
    close: async () => client.close(),
  };
}

