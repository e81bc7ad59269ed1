/**
 * Read routes over what the store holds: `GET /documents/:id` (one document, its chunks in
 * order, its jobs) and `GET /ministers` (each minister with its entry counts, read as
 * `era-ingest ministers export` reads them).
 */
import { readDocument } from '../storage/document-view.ts';
import { readMinisterAggregates } from '../storage/ministers.ts';
import type { Handler } from './context.ts';
import { HttpError, sendJson } from './http-error.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * `GET /documents/:id` → the current version (src/storage/document-view.ts: title, source,
 * metadata, version, minister, category, chunks in order with seq, token count, text and heading
 * path, and the jobs that carried it), or 404 DOCUMENT_NOT_FOUND when no version is current.
 */
export const getDocument: Handler = async ({ res, params, deps }) => {
  const id = params.id ?? '';
  if (id.length === 0 || Buffer.byteLength(id) > 1024 || CONTROL.test(id)) throw new HttpError(400, 'INVALID_REQUEST', 'the document id is invalid: 1 to 1024 bytes, no control characters');
  const doc = await readDocument(deps.db, id);
  if (!doc) throw new HttpError(404, 'DOCUMENT_NOT_FOUND', `no document ${JSON.stringify(id.slice(0, 100))} is stored (never stored, deleted, or its first version is still being ingested)`);
  sendJson(res, 200, doc);
};

/**
 * `GET /ministers` → `{ ministers: [{ id, name, description, entryCount, categories, uncategorised }] }`
 * by id: current chunks routed to each minister, per category, and those without one.
 */
export const listMinisters: Handler = async ({ res, deps }) => {
  const ministers = await readMinisterAggregates(deps.db);
  sendJson(res, 200, {
    ministers: ministers.map((m) => ({
      id: m.ministerId, name: m.name, description: m.description, entryCount: m.entryCount, categories: m.categories,
      uncategorised: m.entryCount - Object.values(m.categories).reduce((a, b) => a + b, 0),
    })),
  });
};
