/**
 * What the console's pages read and do, as one port: `serve` builds it from the store it serves
 * (PGlite or PostgreSQL) and the API's dead-letter port (era.dlq with Kafka, the store's table
 * otherwise), in ./console-data.ts. Pages are pure functions of what these return.
 */
import type { DeadLetterFilter, DeadLetterView, ReplayResult } from '../ports.ts';
import type { DocumentView } from '../../storage/document-view.ts';
import type { SearchMode } from '../../storage/hybrid-search.ts';
import type { JobSummary } from '../../storage/jobs.ts';
import type { MinisterAggregate, MinisterEntry } from '../../storage/ministers.ts';
import type { SearchHit } from '../../storage/search.ts';
import type { SearchFilters } from '../../storage/search-filters.ts';
import type { FlowSnapshot } from './flow-sampler.ts';

export interface ConsoleData {
  /** The store and mode `serve` runs on, shown in every page's header. */
  readonly store: string;
  /** The search modes offered (all three; text alone when the embedder is missing). */
  readonly modes: readonly SearchMode[];
  search(text: string, mode: SearchMode, filters: SearchFilters, k: number): Promise<{ hits: SearchHit[]; model: string }>;
  counts(): Promise<{ documents: number; chunks: number }>;
  document(id: string): Promise<DocumentView | undefined>;
  jobs(limit: number): Promise<JobSummary[]>;
  job(id: string): Promise<JobSummary | undefined>;
  deadLetters(filter: DeadLetterFilter, limit: number): Promise<DeadLetterView[]>;
  replay(filter: DeadLetterFilter, all: boolean): Promise<ReplayResult>;
  ministers(): Promise<MinisterAggregate[]>;
  /** A few current chunks of a minister, for its card. */
  ministerSample(ministerId: string, n: number): Promise<MinisterEntry[]>;
  flow(): FlowSnapshot;
}
