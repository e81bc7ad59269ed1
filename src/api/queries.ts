/**
 * Read routes: `GET /jobs`, `GET /jobs/:id`, `GET /search`. Every parameter is checked before
 * it reaches the database (a NUL byte or an over-long value is a 400, never a SQL error).
 */
import { PIPELINE } from '../dataflow/pipeline.ts';
import { jobSummary, recentJobs } from '../storage/jobs.ts';
import { search } from '../storage/search.ts';
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
 * `GET /search?q=&minister=&category=&k=` → `{ query, k, model, kind, hits }`: the k (1..100,
 * default 10) current chunks nearest to the embedded query, optionally of one minister/category.
 */
export const getSearch: Handler = async ({ res, query, deps, options, inFlight }) => {
  const q = textParam(query, 'q', 4096);
  if (q === undefined || q.trim() === '') throw badRequest('q is missing: give the text to search for, e.g. /search?q=budget');
  const k = intParam(query, 'k', 10, 1, 100);
  const minister = textParam(query, 'minister', 64);
  if (minister !== undefined && !MINISTER.test(minister)) throw badRequest('minister is invalid: a lowercase id ([a-z0-9_-], at most 64)');
  const category = textParam(query, 'category', 128);
  await withSlot(inFlight, 'searches', options.maxConcurrentSearches, async () => {
    const [vector] = await deps.embedder.embed([q]);
    const hits = await search(deps.db, vector!, { k, model: deps.embedder.model, ...(minister ? { minister } : {}), ...(category ? { category } : {}) });
    sendJson(res, 200, { query: q, k, model: deps.embedder.model, kind: deps.embedder.kind, hits });
  });
};
