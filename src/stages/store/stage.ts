/**
 * The store stage: routed chunks → PostgreSQL (one transaction per batch: version flip,
 * deletes, minister aggregates; src/storage/store.ts) → one stored event per document version
 * that became current or was deleted. The runner hands the events on only after `process`
 * resolved, so an event never announces a write that did not commit.
 */
import { PRESETS } from '../../config/presets.ts';
import { ConfigError } from '../../errors/pipeline-error.ts';
import { loadMinistersFile } from '../minister/ministers-file.ts';
import type { StageContext, Transform } from '../transform.ts';
import { migrate, schemaSettings } from '../../storage/migrate.ts';
import { upsertMinisterProfiles } from '../../storage/ministers.ts';
import type { SqlClient } from '../../storage/sql-client.ts';
import { writeBatch } from '../../storage/store.ts';
import type { MinistersValue, StoredEvent } from '../../topics/messages.ts';

export interface StoreTransformOptions {
  client: SqlClient;
  /** Inputs per transaction. @defaultValue 256 */
  batchSize?: number;
  /**
   * Batches written at once (STORE_WRITERS), each a transaction on its own connection.
   * writeBatch is safe beside itself: per-document advisory locks, minister rows in id order.
   * @defaultValue 1
   */
  writers?: number;
  now: () => number;
}

export function storeTransform({ client, batchSize = 256, writers = 1, now }: StoreTransformOptions): Transform<MinistersValue, StoredEvent> {
  return {
    batch: { size: batchSize, lingerMs: 10 },
    concurrency: writers,
    async process(batch) {
      const events = await writeBatch(client, batch, { now: now() });
      // Each document's events go with the last input of that document in the batch: all
      // results of a batch become durable together, so which input carries them does not
      // matter for durability, only for the headers the runner gives them.
      const lastIndex = new Map<string, number>();
      batch.forEach((value, i) => lastIndex.set(value.docId, i));
      const outputs: StoredEvent[][] = batch.map(() => []);
      for (const event of events) {
        const i = lastIndex.get(event.id);
        if (i !== undefined) outputs[i]!.push(event);
      }
      return outputs;
    },
  };
}

/** Applies the migrations and the ministers file's profiles (idempotent) before the first write. */
export async function createStoreTransform({ config, resources, now }: StageContext): Promise<Transform<MinistersValue, StoredEvent>> {
  if (config.databaseUrl !== undefined && config.storeWriters > config.dbPoolSize) {
    throw new ConfigError(`STORE_WRITERS=${config.storeWriters} exceeds DB_POOL_SIZE=${config.dbPoolSize}: every writer holds a connection for its transaction; raise DB_POOL_SIZE or lower STORE_WRITERS`);
  }
  const client = await resources.database();
  await migrate(client, schemaSettings(config));
  await upsertMinisterProfiles(client, loadMinistersFile(config.ministersFile));
  return storeTransform({ client, now, batchSize: PRESETS[config.profile].storeBatchSize, writers: config.storeWriters });
}
