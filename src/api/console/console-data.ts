/**
 * The console's data (./data.ts) on a store: search as `GET /search` does (the same function,
 * the embedder's model), documents, jobs and ministers from the store's tables, dead letters
 * from the API's port (the store's table or era.dlq), flow from the sampler.
 */
import { PIPELINE } from '../../dataflow/pipeline.ts';
import { readDocument } from '../../storage/document-view.ts';
import { SEARCH_MODES, searchWithEmbedder, type QueryEmbedder } from '../../storage/hybrid-search.ts';
import { jobSummary, recentJobs } from '../../storage/jobs.ts';
import { readMinisterAggregates, readMinisterSample } from '../../storage/ministers.ts';
import { chunkCount, documentCount } from '../../storage/search.ts';
import type { SqlClient } from '../../storage/sql-client.ts';
import type { DeadLetterSource } from '../ports.ts';
import type { ConsoleData } from './data.ts';
import type { FlowSampler } from './flow-sampler.ts';

export interface ConsoleParts {
  db: SqlClient;
  embedder: QueryEmbedder;
  /** Shown in the header, e.g. "PGlite in .era-data" or "PostgreSQL + Kafka". */
  store: string;
  deadLetters: DeadLetterSource;
  flow: FlowSampler;
}

export function createConsoleData({ db, embedder, store, deadLetters, flow }: ConsoleParts): ConsoleData {
  return {
    store,
    modes: SEARCH_MODES,
    search: async (text, mode, filters, k) => ({ hits: await searchWithEmbedder(db, embedder, mode, text, { k, ...filters }), model: embedder.model }),
    counts: async () => {
      const [documents, chunks] = await Promise.all([documentCount(db), chunkCount(db)]);
      return { documents, chunks };
    },
    document: (id) => readDocument(db, id),
    jobs: (limit) => recentJobs(db, PIPELINE.phases, limit),
    job: (id) => jobSummary(db, id, PIPELINE.phases),
    deadLetters: (filter, limit) => deadLetters.list(filter, limit),
    replay: (filter, all) => deadLetters.replay(filter, { all }),
    ministers: () => readMinisterAggregates(db),
    ministerSample: (ministerId, n) => readMinisterSample(db, ministerId, n),
    flow: () => flow.snapshot(),
  };
}
