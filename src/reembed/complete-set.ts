/**
 * The end of a re-embedding, the same on both paths (Kafka, in-process): the set's HNSW index,
 * then the state `ready`, recorded in the run's summary.
 */
import type { Config } from '../config/schema.ts';
import { hnswSettings } from '../storage/migrate.ts';
import { ensureModelIndex, setModelState, type ModelState } from '../storage/model-vectors.ts';
import type { SqlClient } from '../storage/sql-client.ts';

/** The part of a run's summary (ReembedSummary) this records. */
export interface SetOutcome {
  readonly model: string;
  readonly dimension: number;
  state: ModelState;
  index: string | null;
  indexSeconds: number;
}

/** Builds the set's index if it is missing (HNSW_M / HNSW_EF_CONSTRUCTION); records its name and the time taken. */
export async function indexSet(client: SqlClient, config: Config, summary: SetOutcome): Promise<void> {
  const started = Date.now();
  summary.index = await ensureModelIndex(client, { model: summary.model, dimension: summary.dimension }, hnswSettings(config));
  summary.indexSeconds += (Date.now() - started) / 1000;
}

/** Indexes the set and marks it ready (search uses it from then on). */
export async function completeSet(client: SqlClient, config: Config, summary: SetOutcome): Promise<void> {
  await indexSet(client, config, summary);
  await setModelState(client, summary.model, 'ready');
  summary.state = 'ready';
}
