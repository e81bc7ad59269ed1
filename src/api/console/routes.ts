/**
 * The console's routes (joined to the API's route table, ../api/routes.ts): server-rendered
 * pages, their live fragments (`?fragment=1`), the replay action, a minister's export, the
 * static assets, and the login form that turns the API token into a cookie for a browser.
 *
 * Auth is the API's: none on loopback without API_TOKEN; with it, the bearer header or the
 * `era_token` cookie (HttpOnly, SameSite=Strict) that `/login` sets. A page asked without it
 * is redirected to /login. Form posts must come from the console itself (Origin or
 * Sec-Fetch-Site), so another site cannot make a browser replay dead letters.
 */
import { readFile } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { PIPELINE } from '../../dataflow/pipeline.ts';
import { currentEntryPages, entryLine } from '../../storage/ministers-export.ts';
import { DEFAULT_SEARCH_MODE, parseSearchMode } from '../../storage/hybrid-search.ts';
import type { Handler, RequestContext } from '../context.ts';
import type { ReplayResult } from '../ports.ts';
import { readBody } from '../body.ts';
import { HttpError } from '../http-error.ts';
import type { ConsoleData } from './data.ts';
import { html, type SafeHtml } from './html.ts';
import { notice, page, type PageOptions } from './layout.ts';
import { deadLettersBody } from './pages/dead-letters.ts';
import { documentBody } from './pages/document.ts';
import { flowFragment } from './pages/flow.ts';
import { jobFragment, jobsFragment, liveRegion } from './pages/jobs.ts';
import { ministersBody } from './pages/ministers.ts';
import { searchBody, type SearchForm } from './pages/search.ts';

export const TOKEN_COOKIE = 'era_token';
const ASSETS: Readonly<Record<string, string>> = { 'console.css': 'text/css; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8' };
const STAGES = PIPELINE.stages.map((s) => s.name);
const PHASES = PIPELINE.phases;

function consoleOf(ctx: RequestContext): ConsoleData {
  const data = ctx.deps.console;
  if (!data) throw new HttpError(404, 'NOT_FOUND', 'this server has no console');
  return data;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:", ...headers });
  res.end(body);
}

const sendPage = (ctx: RequestContext, options: Omit<PageOptions, 'store'>, body: SafeHtml, status = 200): void => {
  send(ctx.res, status, page({ ...options, store: consoleOf(ctx).store }, body));
};

const fragment = (ctx: RequestContext): boolean => ctx.query.get('fragment') === '1';
const param = (ctx: RequestContext, name: string, max = 1024): string => (ctx.query.get(name) ?? '').slice(0, max).trim();

const searchPage: Handler = async (ctx) => {
  const data = consoleOf(ctx);
  const q = param(ctx, 'q', 4096);
  const kText = param(ctx, 'k');
  const k = Math.min(100, Math.max(1, Number.parseInt(kText, 10) || 10));
  let mode = DEFAULT_SEARCH_MODE;
  let error: string | undefined;
  try {
    if (param(ctx, 'mode')) mode = parseSearchMode(param(ctx, 'mode'));
  } catch (e) {
    error = `mode ${(e as Error).message}`;
  }
  if (!data.modes.includes(mode)) mode = data.modes[0]!;
  const form: SearchForm = { q, mode, minister: param(ctx, 'minister', 64), category: param(ctx, 'category', 128), source: param(ctx, 'source'), k };
  const [ministers, counts] = await Promise.all([data.ministers(), data.counts()]);
  let result;
  if (error) result = { error };
  else if (q !== '') {
    try {
      result = await data.search(q, mode, { ...(form.minister ? { minister: form.minister } : {}), ...(form.category ? { category: form.category } : {}), ...(form.source ? { sourcePrefix: form.source } : {}) }, k);
    } catch (e) {
      result = { error: `The search failed: ${(e as Error).message}` };
    }
  }
  sendPage(ctx, { title: q ? `Search: ${q}` : 'Search', active: 'search' }, searchBody({ form, modes: data.modes, ministers, counts, ...(result ? { result } : {}) }));
};

const documentPage: Handler = async (ctx) => {
  const id = param(ctx, 'id', 1024);
  if (id === '') throw new HttpError(400, 'INVALID_REQUEST', 'id is missing: /ui/document?id=<document id>');
  const doc = await consoleOf(ctx).document(id);
  if (!doc) {
    sendPage(ctx, { title: 'Document not found', active: 'document' }, html`${notice('error', `No current version of ${id} in this store (never stored, deleted, or still in progress).`)}`, 404);
    return;
  }
  sendPage(ctx, { title: doc.title ?? id, active: 'document' }, documentBody(doc));
};

const jobsPage: Handler = async (ctx) => {
  const content = jobsFragment(await consoleOf(ctx).jobs(30), PHASES);
  if (fragment(ctx)) return send(ctx.res, 200, content.value);
  sendPage(ctx, { title: 'Jobs', active: 'jobs' }, liveRegion('/ui/jobs?fragment=1', 2000, content));
};

const jobPage: Handler = async (ctx) => {
  const id = param(ctx, 'id', 256);
  const job = id ? await consoleOf(ctx).job(id) : undefined;
  if (!job) {
    if (fragment(ctx)) return send(ctx.res, 404, '');
    sendPage(ctx, { title: 'Job not found', active: 'job' }, html`${notice('error', id ? `No job ${id} in this store.` : 'id is missing: /ui/job?id=<job id>')}`, 404);
    return;
  }
  const content = jobFragment(job, PHASES);
  if (fragment(ctx)) return send(ctx.res, 200, content.value);
  sendPage(ctx, { title: `Job ${id}`, active: 'job' }, liveRegion(`/ui/job?id=${encodeURIComponent(id)}&fragment=1`, 1000, content));
};

const deadLettersPage: Handler = async (ctx) => {
  const filter = { stage: param(ctx, 'stage', 64), code: param(ctx, 'code', 128) };
  const letters = await consoleOf(ctx).deadLetters({ ...(filter.stage ? { stage: filter.stage } : {}), ...(filter.code ? { code: filter.code } : {}) }, 200);
  const message = param(ctx, 'replayed', 500);
  sendPage(ctx, { title: 'Dead letters', active: 'dead-letters' }, deadLettersBody({ letters, filter, stages: STAGES, ...(message ? { message } : {}) }));
};

/** A form post from another site is refused (a browser sends Origin or Sec-Fetch-Site with every POST). */
function requireSameOrigin(ctx: RequestContext): void {
  const site = ctx.req.headers['sec-fetch-site'];
  const origin = ctx.req.headers.origin;
  const host = ctx.req.headers.host;
  const crossSite = (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
    || (typeof origin === 'string' && origin !== 'null' && host !== undefined && new URL(origin).host !== host);
  if (crossSite) throw new HttpError(403, 'FORBIDDEN', 'a console form must be posted from the console itself');
}

async function formOf(ctx: RequestContext): Promise<URLSearchParams> {
  requireSameOrigin(ctx);
  return new URLSearchParams((await readBody(ctx.req, 64 * 1024)).toString('utf8'));
}

/** A replay's result in one line. */
function replaySummary(r: ReplayResult): string {
  const where = 'byTopic' in r ? Object.entries(r.byTopic).map(([t, n]) => `${n} to ${t}`) : Object.entries(r.byStage).map(([s, n]) => `${n} to the ${s} stage`);
  return `replayed ${r.replayed} dead letter${r.replayed === 1 ? '' : 's'}${where.length ? ` (${where.join(', ')})` : ''}; ${r.skipped} skipped (replayed before: tick "also those replayed before" to replay them again)`;
}

const replayAction: Handler = async (ctx) => {
  const form = await formOf(ctx);
  const filter = { stage: (form.get('stage') ?? '').trim(), code: (form.get('code') ?? '').trim() };
  const result = await consoleOf(ctx).replay({ ...(filter.stage ? { stage: filter.stage } : {}), ...(filter.code ? { code: filter.code } : {}) }, form.get('all') === '1');
  const back = new URLSearchParams({ ...(filter.stage ? { stage: filter.stage } : {}), ...(filter.code ? { code: filter.code } : {}), replayed: replaySummary(result) });
  ctx.res.writeHead(303, { location: `/ui/dead-letters?${back}`, 'content-length': 0 });
  ctx.res.end();
};

const flowPage: Handler = async (ctx) => {
  const snapshot = consoleOf(ctx).flow();
  const content = flowFragment(snapshot);
  if (fragment(ctx)) return send(ctx.res, 200, content.value);
  sendPage(ctx, { title: 'Flow', active: 'flow' }, liveRegion('/ui/flow?fragment=1', snapshot.intervalMs, content));
};

const ministersPage: Handler = async (ctx) => {
  const data = consoleOf(ctx);
  const ministers = await data.ministers();
  const cards = await Promise.all(ministers.map(async (minister) => ({ minister, sample: await data.ministerSample(minister.ministerId, 3) })));
  sendPage(ctx, { title: 'Ministers', active: 'ministers' }, ministersBody(cards));
};

/** JSON Lines: the minister's profile, then one line per current entry (the fields of `ministers export`, plus its category). */
const ministerExport: Handler = async (ctx) => {
  const id = param(ctx, 'minister', 64);
  const minister = (await consoleOf(ctx).ministers()).find((m) => m.ministerId === id);
  if (!minister) throw new HttpError(404, 'NOT_FOUND', `no minister ${JSON.stringify(id)}`);
  ctx.res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="${id}.jsonl"`, 'cache-control': 'no-store' });
  ctx.res.write(`${JSON.stringify({ id, name: minister.name, description: minister.description, entryCount: minister.entryCount, categories: minister.categories })}\n`);
  for await (const rows of currentEntryPages(ctx.deps.db)) {
    const lines = rows.filter((r) => r.minister_id === id).map((r) => `${JSON.stringify({ ...entryLine(r), category: r.category })}\n`).join('');
    if (lines && !ctx.res.write(lines)) await new Promise((resolve) => ctx.res.once('drain', resolve));
  }
  ctx.res.end();
};

const asset: Handler = async (ctx) => {
  const type = ASSETS[ctx.params.file ?? ''];
  if (!type) throw new HttpError(404, 'NOT_FOUND', `no asset ${JSON.stringify(ctx.params.file)}`);
  send(ctx.res, 200, await readFile(new URL(`./assets/${ctx.params.file}`, import.meta.url), 'utf8'), type, { 'cache-control': 'max-age=300' });
};

const loginPage: Handler = async (ctx) => {
  const failed = ctx.query.get('failed') === '1';
  const body = html`${failed ? notice('error', 'That is not the API token.') : ''}
<form method="post" action="/login" class="search"><label class="q">API token (API_TOKEN) <input type="password" name="token" autocomplete="current-password" required></label><button type="submit">Open the console</button></form>
<p class="meta">The token is kept in a cookie of this browser (HttpOnly, same-site only) until the browser closes.</p>`;
  send(ctx.res, failed ? 401 : 200, page({ title: 'Log in', active: 'login', store: 'era-ingest serve' }, body));
};

const loginAction: Handler = async (ctx) => {
  const token = (await formOf(ctx)).get('token') ?? '';
  const expected = ctx.options.token;
  const ok = expected === undefined || (token.length === expected.length && timingSafeEqual(Buffer.from(token), Buffer.from(expected)));
  if (!ok) {
    ctx.res.writeHead(303, { location: '/login?failed=1', 'content-length': 0 });
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(303, { location: '/', 'content-length': 0, 'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict` });
  ctx.res.end();
};

/** Route entries in the API's table format (../api/routes.ts); `public` ones need no token. */
export const CONSOLE_ROUTES = [
  { template: '/', public: false, methods: { GET: searchPage } },
  { template: '/ui/document', public: false, methods: { GET: documentPage } },
  { template: '/ui/jobs', public: false, methods: { GET: jobsPage } },
  { template: '/ui/job', public: false, methods: { GET: jobPage } },
  { template: '/ui/dead-letters', public: false, methods: { GET: deadLettersPage } },
  { template: '/ui/dead-letters/replay', public: false, methods: { POST: replayAction } },
  { template: '/ui/flow', public: false, methods: { GET: flowPage } },
  { template: '/ui/ministers', public: false, methods: { GET: ministersPage } },
  { template: '/ui/ministers/export', public: false, methods: { GET: ministerExport } },
  { template: '/assets/:file', public: true, methods: { GET: asset } },
  { template: '/login', public: true, methods: { GET: loginPage, POST: loginAction } },
] as const;

/** The bearer token a browser sends as the console's cookie, as an Authorization value. */
export function cookieAuthorization(cookie: string | undefined): string | undefined {
  const match = /(?:^|;\s*)era_token=([^;]*)/.exec(cookie ?? '');
  return match ? `Bearer ${decodeURIComponent(match[1]!)}` : undefined;
}
