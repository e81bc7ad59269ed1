/**
 * ============================================================================================
 *  OLLAMA TEST DOUBLE — an Ollama-API-compatible HTTP server for tests. NOT a model server.
 *  Used because no model weights can be downloaded in this environment (DESIGN.md §6). It
 *  speaks the wire format of Ollama's /api/embed, /api/tags, /api/version and / closely enough
 *  for the `ollama` npm client, and of Ollama's OpenAI-compatible POST /v1/embeddings for the
 *  `openai` npm client, and computes embeddings with the built-in hash embedder, so its
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
 *
 * /v1/embeddings shares every fault above (same counters, same order), answering errors in the
 * OpenAI shape {"error": {"message", "type", "param", "code"}} and vectors as
 * {"data": [{"embedding", "index"}]} like Ollama 0.11.4: floats whatever `encoding_format` asks.
 * Only there: an API key (`apiKey`: 401 echoing the key it got, as servers do), `dimensions`
 * ignored like Ollama, honoured like text-embedding-3 or refused like ada-002
 * (`openaiDimensions`), and answers in reverse order with correct `index`es (`reverseNext`).
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
  /** More concurrent embedding requests than this get 503 "server busy". Unset = unlimited. */
  maxConcurrent?: number;
  /** /v1/embeddings answers 401 unless `Authorization: Bearer <apiKey>`. Unset = no key needed. */
  apiKey?: string;
  /** What /v1/embeddings does with `dimensions`. @defaultValue 'ignore' (Ollama 0.11.4) */
  openaiDimensions?: 'ignore' | 'honour' | 'refuse';
  /**
   * Serve one request at a time, the others waiting in arrival order, as one Ollama runner does
   * with an embedding model (parallel 1): a request's latency is its wait plus its own delay.
   * @defaultValue false (requests are served concurrently)
   */
  serial?: boolean;
}

export interface OllamaDouble {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** Embedding requests received on either route (including failed ones). */
  readonly calls: number;
  /** Inputs embedded in successful answers. */
  readonly inputs: number;
  /** The input arrays of every embedding request (either route), in arrival order. */
  readonly requests: readonly string[][];
  /** The body and Authorization header of every /v1/embeddings request, in arrival order. */
  readonly openaiRequests: readonly { body: Record<string, unknown>; authorization: string | undefined }[];
  /** Delay before every embedding answer: `requestMs` plus `itemMs` per input, ms. */
  setLatency(requestMs: number, itemMs?: number): void;
  /** The next `n` embedding requests answer `status` (default 503, Ollama's "server busy"). */
  failNext(n: number, status?: number): void;
  /** Every embedding request answers `status` for `ms` (or until `reset()` when unset). */
  failFor(ms?: number, status?: number): void;
  /** The next `n` embedding requests are never answered. */
  hangNext(n: number): void;
  /** The next `n` answers carry one embedding too few. */
  wrongCountNext(n: number): void;
  /** The next `n` answers are poisoned: `null` components ('inline') or Ollama's NaN 500. */
  nanNext(n: number, mode?: 'inline' | 'ollama-500'): void;
  /** Answer 400 like Ollama whenever an input contains `marker`. */
  rejectInputsContaining(marker: string): void;
  /** Answer Ollama's NaN 500 whenever an input contains `marker`. */
  nanInputsContaining(marker: string): void;
  /** The next `n` /v1/embeddings answers list `data` last input first (with correct `index`es). */
  reverseNext(n: number): void;
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

/** How one route speaks: Ollama's /api/embed or the OpenAI-compatible /v1/embeddings. */
interface Wire {
  error(res: ServerResponse, status: number, message: string): void;
  /** Records the request; returns a refusal that comes before any fault (authentication, `dimensions`). */
  admit(req: IncomingMessage, body: Record<string, unknown>): { status: number; message: string } | undefined;
  answer(res: ServerResponse, model: string, vectors: number[][], promptTokens: number, totalNs: number, body: Record<string, unknown>): void;
}

/** OpenAI's error shape, as Ollama's /v1 middleware writes it (openai/openai.go `NewError`). */
function sendOpenAIError(res: ServerResponse, status: number, message: string): void {
  const type = status >= 500 || status === 404 ? 'api_error' : 'invalid_request_error';
  send(res, status, { error: { message, type, param: null, code: null } });
}

/** The first `n` components of `v`, L2-normalised again (how text-embedding-3 shortens). */
function shorten(v: number[], n: number): number[] {
  const head = v.slice(0, n);
  const norm = Math.sqrt(head.reduce((sum, x) => sum + x * x, 0)) || 1;
  return head.map((x) => x / norm);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the double on 127.0.0.1; see the file header. */
export async function startOllamaDouble({ dimension, port = 0, models, maxConcurrent, apiKey, openaiDimensions = 'ignore', serial = false }: OllamaDoubleOptions): Promise<OllamaDouble> {
  /** The end of the last queued request's turn (serial mode). */
  let turn: Promise<void> = Promise.resolve();
  const hash = createHashEmbedder({ dimension });
  const known = models?.map(withTag);
  const hung = new Set<ServerResponse>();
  const state = {
    calls: 0, inputs: 0, active: 0, latencyMs: 0, itemLatencyMs: 0,
    failCount: 0, failStatus: 503, failUntil: 0, failUntilStatus: 503,
    hangCount: 0, wrongCount: 0, nanCount: 0, nanMode: 'inline' as 'inline' | 'ollama-500',
    rejectMarkers: [] as string[], nanMarkers: [] as string[], requests: [] as string[][],
    reverseCount: 0, openaiRequests: [] as { body: Record<string, unknown>; authorization: string | undefined }[],
  };

  const ollamaWire: Wire = {
    error: (res, status, message) => send(res, status, { error: message }),
    admit: () => undefined,
    answer: (res, model, vectors, promptTokens, totalNs) =>
      send(res, 200, { model, embeddings: vectors, total_duration: totalNs, load_duration: 0, prompt_eval_count: promptTokens }),
  };
  const openaiWire: Wire = {
    error: sendOpenAIError,
    admit(req, body) {
      const authorization = req.headers.authorization;
      state.openaiRequests.push({ body, authorization });
      if (apiKey !== undefined && authorization !== `Bearer ${apiKey}`) {
        return { status: 401, message: `Incorrect API key provided: ${authorization?.replace(/^Bearer /, '') ?? '(none)'}.` };
      }
      if (body.dimensions !== undefined && openaiDimensions === 'refuse') return { status: 400, message: 'This model does not support specifying dimensions.' };
      return undefined;
    },
    answer(res, model, vectors, promptTokens, _totalNs, body) {
      const size = openaiDimensions === 'honour' && typeof body.dimensions === 'number' ? body.dimensions : undefined;
      const data = vectors.map((v, index) => ({ object: 'embedding', embedding: size ? shorten(v, size) : v, index }));
      if (state.reverseCount > 0) {
        state.reverseCount--;
        data.reverse();
      }
      send(res, 200, { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
    },
  };

  async function embed(req: IncomingMessage, res: ServerResponse, wire: Wire): Promise<void> {
    state.calls++;
    const fail = (status: number, message: string) => wire.error(res, status, message);
    let body: { model?: unknown; input?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch (error) {
      return fail(400, (error as Error).message);
    }
    const refused = wire.admit(req, body);
    if (refused) return fail(refused.status, refused.message);
    const model = typeof body.model === 'string' ? body.model : '';
    const input = typeof body.input === 'string' ? (body.input ? [body.input] : []) : body.input;
    if (!Array.isArray(input) || input.some((x) => typeof x !== 'string')) return fail(400, 'invalid input type');
    state.requests.push(input as string[]);
    if (!model) return fail(400, 'model is required');
    if (known && !known.includes(withTag(model))) return fail(404, `model "${model}" not found, try pulling it first`);
    if (maxConcurrent !== undefined && state.active >= maxConcurrent) return fail(503, BUSY);
    if (state.hangCount > 0) {
      state.hangCount--;
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    if (state.failCount > 0) {
      state.failCount--;
      return fail(state.failStatus, state.failStatus === 503 ? BUSY : `injected failure ${state.failStatus}`);
    }
    if (Date.now() < state.failUntil) {
      return fail(state.failUntilStatus, state.failUntilStatus === 503 ? BUSY : `injected failure ${state.failUntilStatus}`);
    }
    state.active++;
    try {
      const started = process.hrtime.bigint();
      const delay = state.latencyMs + state.itemLatencyMs * (input as string[]).length;
      const wait = (): Promise<void> => (delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)) : Promise.resolve());
      if (serial) {
        const mine = turn.then(wait);
        turn = mine;
        await mine;
      } else {
        await wait();
      }
      if (res.destroyed) return; // the client gave up (timeout/abort)
      const texts = input as string[];
      if (state.rejectMarkers.some((m) => texts.some((t) => t.includes(m)))) return fail(400, TOO_LONG);
      if (state.nanMarkers.some((m) => texts.some((t) => t.includes(m)))) return fail(500, NAN_500);
      let nullComponent = false;
      if (state.nanCount > 0) {
        state.nanCount--;
        if (state.nanMode === 'ollama-500') return fail(500, NAN_500);
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
      wire.answer(res, model, vectors as number[][], texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0), totalNs, body);
    } finally {
      state.active--;
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    if (route === 'POST /api/embed' || route === 'POST /v1/embeddings') {
      const wire = route === 'POST /api/embed' ? ollamaWire : openaiWire;
      embed(req, res, wire).catch((error: unknown) => {
        if (!res.headersSent) wire.error(res, 500, String(error));
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
    get openaiRequests() { return state.openaiRequests; },
    setLatency(requestMs, itemMs = 0) { state.latencyMs = requestMs; state.itemLatencyMs = itemMs; },
    failNext(n, status = 503) { state.failCount = n; state.failStatus = status; },
    failFor(ms, status = 503) { state.failUntil = ms === undefined ? Number.POSITIVE_INFINITY : Date.now() + ms; state.failUntilStatus = status; },
    hangNext(n) { state.hangCount = n; },
    wrongCountNext(n) { state.wrongCount = n; },
    nanNext(n, mode = 'inline') { state.nanCount = n; state.nanMode = mode; },
    rejectInputsContaining(marker) { state.rejectMarkers.push(marker); },
    nanInputsContaining(marker) { state.nanMarkers.push(marker); },
    reverseNext(n) { state.reverseCount = n; },
    reset() {
      Object.assign(state, {
        calls: 0, inputs: 0, latencyMs: 0, itemLatencyMs: 0, failCount: 0, failUntil: 0, hangCount: 0, wrongCount: 0, nanCount: 0,
        rejectMarkers: [], nanMarkers: [], requests: [], reverseCount: 0, openaiRequests: [],
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
