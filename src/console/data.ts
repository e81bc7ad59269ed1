/**
 * What the console's pages read and do, as one port: `serve` builds it from the store it serves
 * (PGlite or PostgreSQL) and, with Kafka, from the dead-letter topic (./console-data.ts). Pages
 * are pure functions of what these return.
 */
import type { DocumentDetail } from '../storage/document-detail.ts';
import type { SearchMode } from '../storage/hybrid-search.ts';
import type { JobSummary } from '../storage/jobs.ts';
import type { MinisterAggregate } from '../storage/ministers.ts';
import type { SearchHit } from '../storage/search.ts';
import type { SearchFilters } from '../storage/search-filters.ts';
import type { FlowSnapshot } from './flow-sampler.ts';

export interface DeadLetterView {
  /** Stable id within its source (table row id, or topic/partition/offset). */
  id: string;
  stage: string;
  code: string;
  message: string;
  docId: string | null;
  jobId: string | null;
  attempts: number;
  failedAt: Date;
  /** Error headers as recorded (era.dlq.* on Kafka), or the row's columns. */
  headers: Record<string, string>;
  /** Already replayed once, when the source knows (the store's table does; era.dlq does not). */
  replayed?: boolean;
}

export interface ReplayResult {
  replayed: number;
  /** One line for the person: where they went, what did not match. */
  summary: string;
}

/** Where the dead letters are: the store's dead_letters table (embedded), or era.dlq (Kafka). */
export interface DeadLetterSource {
  list(filter: { stage?: string; code?: string }, limit: number): Promise<DeadLetterView[]>;
  replay(filter: { stage?: string; code?: string }, all: boolean): Promise<ReplayResult>;
}

export interface ConsoleData {
  /** The store and mode `serve` runs on, shown in every page's header. */
  readonly store: string;
  /** The search modes offered (all three; text alone when the embedder is missing). */
  readonly modes: readonly SearchMode[];
  search(text: string, mode: SearchMode, filters: SearchFilters, k: number): Promise<{ hits: SearchHit[]; model: string }>;
  counts(): Promise<{ documents: number; chunks: number }>;
  document(id: string): Promise<DocumentDetail | undefined>;
  jobs(limit: number): Promise<JobSummary[]>;
  job(id: string): Promise<JobSummary | undefined>;
  deadLetters(filter: { stage?: string; code?: string }, limit: number): Promise<DeadLetterView[]>;
  replay(filter: { stage?: string; code?: string }, all: boolean): Promise<ReplayResult>;
  ministers(): Promise<MinisterAggregate[]>;
  /** A few current chunks of a minister, for its card. */
  ministerSample(ministerId: string, n: number): Promise<Array<{ docId: string; title: string | null; category: string | null; text: string }>>;
  flow(): FlowSnapshot;
}
