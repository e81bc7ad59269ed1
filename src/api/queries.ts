/**
 * Read routes: `GET /jobs`, `GET /jobs/:id`, `GET /search`. Every parameter is checked before
 * it reaches the database (a NUL byte or an over-long value is a 400, never a SQL error).
 */
import { PIPELINE } from '../dataflow/pipeline.ts';
import { jobSummary, recentJobs } from '../storage/jobs.ts';
import { ValidationError } from '../errors/pipeline-error.ts';
import { DEFAULT_SEARCH_MODE, parseSearchMode, searchWithEmbedder } from '../storage/hybrid-search.ts';
import { parseMetadataFilter, type SearchFilters } from '../storage/search-filters.ts';
import { withSlot, type Handler } from './context.ts';
import { HttpError, sendJson } from './http-error.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;
/** Same rule as a raw document's `minister` (DESIGN.md §3). */
const MINISTER = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function badRequest(message: string): HttpError {
  return new HttpError(400, 'INVALID_REQUEST', message);
}

/** A whole number in [min, max] from the query, or `fallback` when absent. */
function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`${name}=${JSON.stringify(raw.slice(0, 20))} is invalid: give a whole number from ${min} to ${max}`);
  return n;
}

/** A text parameter of at most `max` characters without control characters, or undefined. */
function textParam(query: URLSearchParams, name: string, max: number): string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > max || CONTROL.test(raw)) throw badRequest(`${name} is invalid: at most ${max} characters, no control characters`);
  return raw;
}

/** `GET /jobs?limit=` → `{ jobs: JobSummary[] }`, newest first (limit 1..100, default 20). */
export const listJobs: Handler = async ({ res, query, deps }) => {
  const limit = intParam(query, 'limit', 20, 1, 100);
  sendJson(res, 200, { jobs: await recentJobs(deps.db, PIPELINE.phases, limit) });
};

/** `GET /jobs/:id` → the job's documents by phase (JobSummary), or 404 JOB_NOT_FOUND. */
export const getJob: Handler = async ({ res, params, deps }) => {
  const id = params.id ?? '';
  if (id.length === 0 || id.length > 256 || CONTROL.test(id)) throw badRequest('the job id is invalid: 1 to 256 characters, no control characters');
  const job = await jobSummary(deps.db, id, PIPELINE.phases);
  if (!job) throw new HttpError(404, 'JOB_NOT_FOUND', `no job ${JSON.stringify(id.slice(0, 100))} is recorded`);
  sendJson(res, 200, job);
};

/**
 * `GET /search?q=&mode=&minister=&category=&source=&metadata=&k=` → `{ query, mode, k, model,
 * kind, filters, hits }`: the k (1..100, default 10) best current chunks by `mode` (`vector`,
 * `text` or `hybrid`, the default), optionally of one minister/category, of documents whose
 * source starts with `source` and whose metadata contains the JSON object `metadata`. A text
 * search does not embed the query (it answers with the embedder down).
 */
export const getSearch: Handler = async ({ res, query, deps, options, inFlight }) => {
  const q = textParam(query, 'q', 4096);
  if (q === undefined || q.trim() === '') throw badRequest('q is missing: give the text to search for, e.g. /search?q=budget');
  const k = intParam(query, 'k', 10, 1, 100);
  const mode = parsed('mode', () => parseSearchMode(textParam(query, 'mode', 16) ?? DEFAULT_SEARCH_MODE));
  const minister = textParam(query, 'minister', 64);
  if (minister !== undefined && !MINISTER.test(minister)) throw badRequest('minister is invalid: a lowercase id ([a-z0-9_-], at most 64)');
  const category = textParam(query, 'category', 128);
  const source = textParam(query, 'source', 1024);
  const metadataText = textParam(query, 'metadata', 4096);
  const metadata = metadataText === undefined ? undefined : parsed('metadata', () => parseMetadataFilter(metadataText));
  const filters: SearchFilters = {
    ...(minister ? { minister } : {}), ...(category ? { category } : {}), ...(source ? { sourcePrefix: source } : {}), ...(metadata ? { metadata } : {}),
  };
  await withSlot(inFlight, 'searches', options.maxConcurrentSearches, async () => {
    const hits = await searchWithEmbedder(deps.db, deps.embedder, mode, q, { k, ...filters });
    sendJson(res, 200, { query: q, mode, k, model: deps.embedder.model, kind: deps.embedder.kind, filters, hits });
  });
};

/** The value `parse` makes of parameter `name`; a ValidationError becomes a 400 naming the parameter. */
function parsed<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError) throw badRequest(`${name} ${error.message}`);
    throw error;
  }
}
