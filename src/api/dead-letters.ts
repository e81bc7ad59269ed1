/**
 * `GET /dead-letters` and `POST /dead-letters/replay`, on whichever runner is behind the API
 * (./ports.ts DeadLetterSource: era.dlq through `era-ingest dlq`'s code, or the store's
 * dead_letters table and the in-process runner).
 */
import { readBody, parseJsonBody, requireJsonContentType } from './body.ts';
import { withSlot, type Handler } from './context.ts';
import { HttpError, sendJson } from './http-error.ts';
import type { DeadLetterFilter } from './ports.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;

function badRequest(message: string): HttpError {
  return new HttpError(400, 'INVALID_REQUEST', message);
}

/** A filter value: at most 64 characters, no control characters. */
function filterValue(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 64 || CONTROL.test(value)) throw badRequest(`${name} is invalid: a string of at most 64 characters, no control characters`);
  return value;
}

const filterOf = (stage: unknown, code: unknown): DeadLetterFilter => {
  const s = filterValue('stage', stage);
  const c = filterValue('code', code);
  return { ...(s ? { stage: s } : {}), ...(c ? { code: c } : {}) };
};

/** `GET /dead-letters?stage=&code=&limit=` → `{ deadLetters: DeadLetterView[] }`, oldest first (limit 1..1000, default 100). */
export const listDeadLetters: Handler = async ({ res, query, deps }) => {
  const raw = query.get('limit');
  const limit = raw === null ? 100 : /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest(`limit=${JSON.stringify((raw ?? '').slice(0, 20))} is invalid: give a whole number from 1 to 1000`);
  const filter = filterOf(query.get('stage') ?? undefined, query.get('code') ?? undefined);
  sendJson(res, 200, { filter, deadLetters: await deps.deadLetters.list(filter, limit) });
};

/**
 * `POST /dead-letters/replay` with `{ "stage"?, "code"?, "all"?: boolean }` (an empty body is
 * `{}`) → 200 `{ replayed, skipped, byTopic }` (Kafka: re-published to their original topics) or
 * `{ replayed, skipped, byStage }` (store: handed back to the stage that rejected them; they
 * then progress as any document does). The rules of `era-ingest dlq replay`: only the letters
 * not replayed yet, unless `all`.
 */
export const replayDeadLetters: Handler = async ({ req, res, deps, options, inFlight }) => {
  await withSlot(inFlight, 'submissions', options.maxConcurrentSubmissions, async () => {
    const body = await readBody(req, 64 * 1024);
    let parsed: unknown = {};
    if (body.length > 0) {
      requireJsonContentType(req);
      parsed = parseJsonBody(body, 4);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the body must be a JSON object { "stage"?, "code"?, "all"? }');
    const { stage, code, all, ...rest } = parsed as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw badRequest(`unknown field ${JSON.stringify(Object.keys(rest)[0]!.slice(0, 40))}: the body takes stage, code and all`);
    if (all !== undefined && typeof all !== 'boolean') throw badRequest('"all" must be true or false');
    sendJson(res, 200, await deps.deadLetters.replay(filterOf(stage, code), { all: all === true }));
  });
};
