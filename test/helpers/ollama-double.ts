/**
 * ============================================================================================
 *  OLLAMA TEST DOUBLE — an Ollama-API-compatible HTTP server for tests. NOT a model server.
 *  Used because no model weights can be downloaded in this environment (DESIGN.md §6). It
 *  speaks the wire format of Ollama's /api/embed, /api/tags, /api/version and / closely enough
 *  for the `ollama` npm client, and computes embeddings with the built-in hash embedder, so its
 *  vectors equal EMBEDDER=hash vectors of the same dimension. Tests start their own double
 *  whatever OLLAMA_HOST says.
 * ============================================================================================
 *
 * Faults it can inject, each mirroring what a real Ollama does (server/routes.go):
 * - latency (`setLatency`: a per-request overhead plus a per-input cost, so that a batch costs
 *   more than one input and batching is not flattered), 5xx/429 answers (`failNext`, `failFor`), requests never answered
 *   (`hangNext`: the client's timeout must fire), queue full → 503 (`maxConcurrent`);
 * - per-input rejection: 400 {"error": "the input length exceeds the context length"} when an
 *   input contains a marker (`rejectInputsContaining`), like an over-long input with truncate=false;
 * - per-input NaN: 500 {"error": "failed to encode response: json: unsupported value: NaN"}
 *   when an input contains a marker (`nanInputsContaining`), which is what Ollama answers when
 *   the model emits NaN (ollama/ollama#9639);
 * - malformed answers: wrong embedding count (`wrongCountNext`), NaN-style values (`nanNext`:
 *   `null` components, or the 500 above with mode 'ollama-500');
 * - unknown models: 404 {"error": "model \"x\" not found, try pulling it first"} when `models` is
 *   given and the model is not in it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHashEmbedder } from '../../src/embedding/hash-embedder.ts';

export interface OllamaDoubleOptions {
  /** Length of the embeddings it returns. */
  dimension: number;
  /** Port to listen on (127.0.0.1). @defaultValue 0 (any free port) */
  port?: number;
  /** Models it "has" (`name` or `name:tag`); unset = every model exists. */
  models?: string[];
  /** More concurrent /api/embed requests than this get 503 "server busy". Unset = unlimited. */
  maxConcurrent?: number;
}

export interface OllamaDouble {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** POST /api/embed requests received (including failed ones). */
  readonly calls: number;
  /** Inputs embedded in successful answers. */
  readonly inputs: number;
  /** The input arrays of every /api/embed request, in arrival order. */
  readonly requests: readonly string[][];
  /** Delay before every /api/embed answer: `requestMs` plus `itemMs` per input, ms. */
  setLatency(requestMs: number, itemMs?: number): void;
  /** The next `n` /api/embed requests answer `status` (default 503, Ollama's "server busy"). */
  failNext(n: number, status?: number): void;
  /** Every /api/embed request answers `status` for `ms` (or until `reset()` when unset). */
  failFor(ms?: number, status?: number): void;
  /** The next `n` /api/embed requests are never answered. */
  hangNext(n: number): void;
  /** The next `n` answers carry one embedding too few. */
  wrongCountNext(n: number): void;
  /** The next `n` answers are poisoned: `null` components ('inline') or Ollama's NaN 500. */
  nanNext(n: number, mode?: 'inline' | 'ollama-500'): void;
  /** Answer 400 like Ollama whenever an input contains `marker`. */
  rejectInputsContaining(marker: string): void;
  /** Answer Ollama's NaN 500 whenever an input contains `marker`. */
  nanInputsContaining(marker: string): void;
  /** Clears faults, latency, markers and counters. */
  reset(): void;
  /** Stops listening and drops every connection (hung ones too). Idempotent. */
  close(): Promise<void>;
}

const BUSY = 'server busy, please try again.  maximum pending requests exceeded';
const NAN_500 = 'failed to encode response: json: unsupported value: NaN';
const TOO_LONG = 'the input length exceeds the context length';

const withTag = (name: string) => (name.includes(':') ? name : `${name}:latest`);

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the double on 127.0.0.1; see the file header. */
export async function startOllamaDouble({ dimension, port = 0, models, maxConcurrent }: OllamaDoubleOptions): Promise<OllamaDouble> {
  const hash = createHashEmbedder({ dimension });
  const known = models?.map(withTag);
  const hung = new Set<ServerResponse>();
  const state = {
    calls: 0, inputs: 0, active: 0, latencyMs: 0, itemLatencyMs: 0,
    failCount: 0, failStatus: 503, failUntil: 0, failUntilStatus: 503,
    hangCount: 0, wrongCount: 0, nanCount: 0, nanMode: 'inline' as 'inline' | 'ollama-500',
    rejectMarkers: [] as string[], nanMarkers: [] as string[], requests: [] as string[][],
  };

  async function embed(req: IncomingMessage, res: ServerResponse): Promise<void> {
    state.calls++;
    let body: { model?: unknown; input?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch (error) {
      return send(res, 400, { error: (error as Error).message });
    }
    const model = typeof body.model === 'string' ? body.model : '';
    const input = typeof body.input === 'string' ? (body.input ? [body.input] : []) : body.input;
    if (!Array.isArray(input) || input.some((x) => typeof x !== 'string')) return send(res, 400, { error: 'invalid input type' });
    state.requests.push(input as string[]);
    if (!model) return send(res, 400, { error: 'model is required' });
    if (known && !known.includes(withTag(model))) return send(res, 404, { error: `model "${model}" not found, try pulling it first` });
    if (maxConcurrent !== undefined && state.active >= maxConcurrent) return send(res, 503, { error: BUSY });
    if (state.hangCount > 0) {
      state.hangCount--;
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if (state.failCount > 0) {
      state.failCount--;
      return send(res, state.failStatus, { error: state.failStatus === 503 ? BUSY : `injected failure ${state.failStatus}` });
    }
    if (Date.now() < state.failUntil) {
      return send(res, state.failUntilStatus, { error: state.failUntilStatus === 503 ? BUSY : `injected failure ${state.failUntilStatus}` });
    }
    state.active++;
    try {
      const started = process.hrtime.bigint();
      const delay = state.latencyMs + state.itemLatencyMs * (input as string[]).length;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (res.destroyed) return; // the client gave up (timeout/abort)
      const texts = input as string[];
      if (state.rejectMarkers.some((m) => texts.some((t) => t.includes(m)))) return send(res, 400, { error: TOO_LONG });
      if (state.nanMarkers.some((m) => texts.some((t) => t.includes(m)))) return send(res, 500, { error: NAN_500 });
      let nullComponent = false;
      if (state.nanCount > 0) {
        state.nanCount--;
        if (state.nanMode === 'ollama-500') return send(res, 500, { error: NAN_500 });
        nullComponent = true;
      }
      const vectors = (await hash.embed(texts)).map((v) => Array.from(v));
      if (state.wrongCount > 0) {
        state.wrongCount--;
        vectors.pop();
      }
      if (nullComponent && vectors[0]) (vectors[0] as (number | null)[])[0] = null; // JSON.stringify(NaN) gives null
      state.inputs += texts.length;
      const totalNs = Number(process.hrtime.bigint() - started);
      send(res, 200, {
        model,
        embeddings: vectors,
        total_duration: totalNs,
        load_duration: 0,
        prompt_eval_count: texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0),
      });
    } finally {
      state.active--;
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    if (route === 'POST /api/embed') {
      embed(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { error: String(error) });
      });
      return;
    }
    if (route === 'GET /' || route === 'HEAD /') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : 'Ollama is running');
      return;
    }
    if (route === 'GET /api/version') return send(res, 200, { version: '0.0.0-test-double' });
    if (route === 'GET /api/tags') {
      const now = new Date().toISOString();
      return send(res, 200, {
        models: (known ?? []).map((name) => ({
          name, model: name, modified_at: now, size: 0, digest: 'test-double',
          details: { format: 'hash', family: 'hash', families: ['hash'], parameter_size: '0', quantization_level: 'none' },
        })),
      });
    }
    send(res, 404, { error: '404 page not found' });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    get calls() { return state.calls; },
    get inputs() { return state.inputs; },
    get requests() { return state.requests; },
    setLatency(requestMs, itemMs = 0) { state.latencyMs = requestMs; state.itemLatencyMs = itemMs; },
    failNext(n, status = 503) { state.failCount = n; state.failStatus = status; },
    failFor(ms, status = 503) { state.failUntil = ms === undefined ? Number.POSITIVE_INFINITY : Date.now() + ms; state.failUntilStatus = status; },
    hangNext(n) { state.hangCount = n; },
    wrongCountNext(n) { state.wrongCount = n; },
    nanNext(n, mode = 'inline') { state.nanCount = n; state.nanMode = mode; },
    rejectInputsContaining(marker) { state.rejectMarkers.push(marker); },
    nanInputsContaining(marker) { state.nanMarkers.push(marker); },
    reset() {
      Object.assign(state, {
        calls: 0, inputs: 0, latencyMs: 0, itemLatencyMs: 0, failCount: 0, failUntil: 0, hangCount: 0, wrongCount: 0, nanCount: 0,
        rejectMarkers: [], nanMarkers: [], requests: [],
      });
      for (const res of hung) res.destroy();
      hung.clear();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
