/**
 * The route table of the HTTP API: path template → handler per method. HEAD is answered like
 * GET (Node sends no body for HEAD). `/healthz` and `/readyz` are public (probes carry no token).
 */
import type { Handler } from './context.ts';
import { getDocument, listMinisters } from './catalogue.ts';
import { listDeadLetters, replayDeadLetters } from './dead-letters.ts';
import { postDocuments } from './documents.ts';
import { HttpError } from './http-error.ts';
import { getHealth, getMetrics, getReady } from './probes.ts';
import { getJob, getSearch, listJobs } from './queries.ts';
import { CONSOLE_ROUTES } from './console/routes.ts';

export interface Route {
  /** Path template, also the `route` metric label: `/jobs/:id`. */
  template: string;
  /** Answered without the bearer token. */
  public: boolean;
  methods: Partial<Record<'GET' | 'POST', Handler>>;
}

export const ROUTES: readonly Route[] = [
  { template: '/documents', public: false, methods: { POST: postDocuments } },
  { template: '/documents/:id', public: false, methods: { GET: getDocument } },
  { template: '/dead-letters', public: false, methods: { GET: listDeadLetters } },
  { template: '/dead-letters/replay', public: false, methods: { POST: replayDeadLetters } },
  { template: '/ministers', public: false, methods: { GET: listMinisters } },
  { template: '/jobs', public: false, methods: { GET: listJobs } },
  { template: '/jobs/:id', public: false, methods: { GET: getJob } },
  { template: '/search', public: false, methods: { GET: getSearch } },
  { template: '/metrics', public: false, methods: { GET: getMetrics } },
  { template: '/healthz', public: true, methods: { GET: getHealth } },
  { template: '/readyz', public: true, methods: { GET: getReady } },
  ...CONSOLE_ROUTES,
];

/** Paths answered without authentication. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.public).map((r) => r.template));

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/**
 * The route of a raw (still percent-encoded) path, with its decoded parameters; undefined when
 * no template matches. A parameter must be one non-empty segment.
 * @throws HttpError 400 when a parameter is not valid percent-encoding.
 */
export function matchRoute(path: string): RouteMatch | undefined {
  const parts = path.split('/');
  for (const route of ROUTES) {
    const template = route.template.split('/');
    if (template.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < template.length && ok; i += 1) {
      const t = template[i]!;
      const p = parts[i]!;
      if (t.startsWith(':')) {
        if (p === '') ok = false;
        else params[t.slice(1)] = decodeSegment(p);
      } else ok = t === p;
    }
    if (ok) return { route, params };
  }
  return undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'INVALID_REQUEST', 'the path is not valid percent-encoding');
  }
}

/**
 * The handler of `method` on `route`.
 * @throws HttpError 405 with `Allow` listing the route's methods.
 */
export function handlerFor(route: Route, method: string | undefined): Handler {
  const key = method === 'HEAD' ? 'GET' : method;
  const handler = key === 'GET' || key === 'POST' ? route.methods[key] : undefined;
  if (handler) return handler;
  const allow = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
  throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${String(method).slice(0, 20)} is not allowed on ${route.template}; use ${allow}`, { allow });
}
