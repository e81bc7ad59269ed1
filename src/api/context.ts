/**
 * What the HTTP API is built from (injected, so tests build it from real or fake parts) and
 * what every route handler receives.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Embedder } from '../embedding/types.ts';
import type { Logger } from '../log/logger.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { DEFAULT_RAW_LIMITS, type RawLimits } from '../topics/raw-document.ts';
import type { ApiMetrics } from './api-metrics.ts';
import { HttpError } from './http-error.ts';
import type { ConsoleData } from './console/data.ts';
import type { DeadLetterSource, DocumentSink } from './ports.ts';

export interface ApiDependencies {
  /** Where POST /documents puts documents: Kafka's raw lanes or the in-process runner (./ports.ts). Not closed by the server. */
  sink: DocumentSink;
  /** The dead letters of that runner: era.dlq or the store's dead_letters table. */
  deadLetters: DeadLetterSource;
  /** Migrated database with the job records and chunks (the store the pipeline writes). Not closed by the server. */
  db: SqlClient;
  /** Embeds search queries; must match the stored vectors' dimension. Not closed by the server. */
  embedder: Embedder;
  /** Registry served on /metrics; the API's own metrics are registered on it. */
  registry: Registry;
  /** Request and error log. @defaultValue none (silent) */
  logger?: Logger;
  /** The web console's data (../console/data.ts); without it the console's routes answer 404. */
  console?: ConsoleData;
}

export interface ApiOptions {
  /** API_TOKEN: when set, every route but /healthz and /readyz needs it as a bearer token. */
  token?: string;
  /** Limits every document is validated with. @defaultValue DEFAULT_RAW_LIMITS (10 MiB, 1024-byte ids, metadata depth 32) */
  limits?: RawLimits;
  /** API_MAX_BODY_BYTES: largest request body. @defaultValue limits.maxBytes + 1 MiB */
  maxBodyBytes?: number;
  /** Documents per POST /documents (413 beyond). @defaultValue 10_000 */
  maxDocuments?: number;
  /** POST /documents and POST /dead-letters/replay handled at once; more get 503 BUSY (bounds buffered bodies). @defaultValue 8 */
  maxConcurrentSubmissions?: number;
  /** GET /search handled at once (each embeds a query, unless mode=text, and runs a vector and/or a text search); more get 503 BUSY. @defaultValue 8 */
  maxConcurrentSearches?: number;
  /** /readyz gives the database this long to answer `SELECT 1`, ms. @defaultValue 2_000 */
  readyTimeoutMs?: number;
  /** close() waits this long for in-flight requests before cutting connections, ms. @defaultValue 20_000 */
  shutdownTimeoutMs?: number;
  /** A request (headers and body) must arrive within this long, ms. @defaultValue 120_000 */
  requestTimeoutMs?: number;
}

/** Options with every default applied, validated once in createApiServer. */
export type ResolvedApiOptions = Required<Omit<ApiOptions, 'token'>> & { token?: string };

export const ONE_MIB = 1024 * 1024;

/** Applies the defaults. @throws RangeError naming an invalid option. */
export function resolveApiOptions(options: ApiOptions): ResolvedApiOptions {
  const limits = options.limits ?? DEFAULT_RAW_LIMITS;
  const resolved: ResolvedApiOptions = {
    limits,
    maxBodyBytes: options.maxBodyBytes ?? limits.maxBytes + ONE_MIB,
    maxDocuments: options.maxDocuments ?? 10_000,
    maxConcurrentSubmissions: options.maxConcurrentSubmissions ?? 8,
    maxConcurrentSearches: options.maxConcurrentSearches ?? 8,
    readyTimeoutMs: options.readyTimeoutMs ?? 2_000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 20_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    ...(options.token !== undefined ? { token: options.token } : {}),
  };
  for (const key of ['maxBodyBytes', 'maxDocuments', 'maxConcurrentSubmissions', 'maxConcurrentSearches', 'readyTimeoutMs', 'shutdownTimeoutMs', 'requestTimeoutMs'] as const) {
    const v = resolved[key];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`createApiServer: ${key} must be a positive integer, got ${v}`);
  }
  if (options.token === '') throw new RangeError('createApiServer: token must not be empty (leave it undefined for no authentication)');
  return resolved;
}

/** One request as a handler sees it. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Decoded path parameters (`:id`). */
  params: Record<string, string>;
  query: URLSearchParams;
  deps: ApiDependencies;
  options: ResolvedApiOptions;
  metrics: ApiMetrics;
  /** True once close() began: readiness fails. */
  closing(): boolean;
  /** Requests in progress per bounded kind (see `withSlot`). */
  inFlight: InFlight;
}

export interface InFlight {
  submissions: number;
  searches: number;
}

/**
 * Runs `fn` in one of `limit` slots of `kind`; with every slot taken answers 503 BUSY with
 * Retry-After, so a burst is shed at once instead of queueing work (and memory) in the server.
 */
export async function withSlot<T>(inFlight: InFlight, kind: keyof InFlight, limit: number, fn: () => Promise<T>): Promise<T> {
  if (inFlight[kind] >= limit) {
    throw new HttpError(503, 'BUSY', `${inFlight[kind]} ${kind} are in progress, the most this server takes at once; retry shortly`, { 'retry-after': '1' });
  }
  inFlight[kind] += 1;
  try {
    return await fn();
  } finally {
    inFlight[kind] -= 1;
  }
}

export type Handler = (ctx: RequestContext) => Promise<void>;
