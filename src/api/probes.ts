/**
 * Operational routes: `/healthz` (liveness), `/readyz` (readiness), `/metrics` (Prometheus).
 */
import type { SqlClient } from '../storage/sql-client.ts';
import type { Handler } from './context.ts';
import { sendJson } from './http-error.ts';

/** `GET /healthz`: 200 while the process serves requests (no dependency is checked). */
export const getHealth: Handler = async ({ res }) => {
  sendJson(res, 200, { status: 'ok' });
};

/** True when `SELECT 1` answers within `timeoutMs`; never throws. */
async function databaseReachable(db: SqlClient, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.query('SELECT 1').then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /readyz`: 200 `{ status: 'ready', kafka: true, database: true }` when the producer is
 * connected (`pipeline: true` instead of `kafka` on an embedded store: the in-process runner
 * takes documents) and the database answers; else 503 with the same fields. 503 once close()
 * began, so a load balancer stops sending traffic before the server stops accepting it.
 */
export const getReady: Handler = async ({ res, deps, options, closing }) => {
  const sink = deps.sink.readiness();
  const database = await databaseReachable(deps.db, options.readyTimeoutMs);
  const ready = Object.values(sink).every(Boolean) && database && !closing();
  sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...sink, database, ...(closing() ? { closing: true } : {}) });
};

/** `GET /metrics`: the injected registry in the Prometheus text format. */
export const getMetrics: Handler = async ({ res, deps }) => {
  const text = await deps.registry.metrics();
  res.writeHead(200, { 'content-type': deps.registry.contentType, 'cache-control': 'no-store' });
  res.end(text);
};
