// The Ollama embedder over an in-memory fetch (no network); the HTTP contract is covered by
// test/integration/embedding/ollama-embedder.test.ts against the Ollama test double.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HostPool } from '../../../src/embedding/host-pool.ts';
import { createOllamaEmbedder, type OllamaEmbedderOptions } from '../../../src/embedding/ollama-embedder.ts';

type Handler = (url: string, body: { model: string; input: string[]; truncate: boolean; keep_alive: unknown }, signal: AbortSignal) => Promise<Response>;

function fakeFetch(handler: Handler): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const signal = init!.signal!;
    if (signal.aborted) throw signal.reason;
    return handler(String(input), JSON.parse(String(init!.body)), signal);
  }) as typeof fetch;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const ok = (input: string[], dimension = 2) => json(200, { model: 'm', embeddings: input.map((_, i) => Array.from({ length: dimension }, () => i)) });
/** Never answers; rejects like fetch when the request's signal aborts. */
const never = (signal: AbortSignal) => new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

function embedder(handler: Handler, options: Partial<OllamaEmbedderOptions> = {}) {
  return createOllamaEmbedder({ hosts: ['http://a:11434'], model: 'm', dimension: 2, timeoutMs: 1_000, keepAlive: '5m', fetch: fakeFetch(handler), ...options });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Ollama embedder (in-memory fetch)', () => {
  it('posts the inputs to /api/embed with model, truncate and keep_alive', async () => {
    const seen: unknown[] = [];
    const e = embedder(async (url, body) => (seen.push({ url, ...body }), ok(body.input)), { keepAlive: '300' });
    const vectors = await e.embed(['a', 'b']);
    expect(vectors).toEqual([new Float32Array([0, 0]), new Float32Array([1, 1])]);
    expect(seen).toEqual([{ url: 'http://a:11434/api/embed', model: 'm', input: ['a', 'b'], truncate: true, keep_alive: 300 }]);
    expect(e).toMatchObject({ kind: 'semantic', model: 'm', dimension: 2 });
  });

  it('makes no request for no texts', async () => {
    const handler = vi.fn<Handler>();
    expect(await embedder(handler).embed([])).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
  });

  it('times out after timeoutMs with a retriable DEPENDENCY_TIMEOUT', async () => {
    vi.useFakeTimers();
    const e = embedder(async (_, __, signal) => never(signal), { timeoutMs: 5_000 });
    const result = e.embed(['x']).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(4_999);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toMatchObject({ code: 'DEPENDENCY_TIMEOUT', retriable: true, message: expect.stringMatching(/5000 ms/) });
  });

  it('aborts with a retriable SHUTDOWN when the caller signal fires, and on close()', async () => {
    const e = embedder(async (_, __, signal) => never(signal));
    const controller = new AbortController();
    const first = e.embed(['x'], controller.signal).catch((error: unknown) => error);
    controller.abort();
    expect(await first).toMatchObject({ code: 'SHUTDOWN', retriable: true });
    const second = e.embed(['x']).catch((error: unknown) => error);
    await e.close!();
    await e.close!();
    expect(await second).toMatchObject({ code: 'SHUTDOWN', retriable: true });
    await expect(e.embed(['x'])).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });

  it('spreads requests over hosts and avoids a host that just failed', async () => {
    const urls: string[] = [];
    const e = embedder(async (url, body) => {
      urls.push(new URL(url).host);
      if (url.startsWith('http://b')) throw new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
      return ok(body.input);
    }, { hosts: ['http://a:11434', 'http://b:11434/'] });
    await e.embed(['1']);
    await expect(e.embed(['2'])).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringMatching(/ollama http:\/\/b:11434 \(OLLAMA_HOST\): connection refused \(ECONNREFUSED: refused\)/) });
    await e.embed(['3']);
    await e.embed(['4']);
    expect(urls).toEqual(['a:11434', 'b:11434', 'a:11434', 'a:11434']);
  });
});

describe('host pool', () => {
  it('round-robins idle hosts and prefers the least busy', () => {
    const pool = new HostPool(['a', 'b', 'c']);
    const first = pool.acquire();
    const second = pool.acquire();
    expect([first.url, second.url]).toEqual(['a', 'b']);
    first.release();
    expect(pool.acquire().url).toBe('c');
    expect(pool.acquire().url).toBe('a');
    expect(pool.inFlight).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('skips a failed host for the penalty while another is healthy, then uses it again', () => {
    let now = 0;
    const pool = new HostPool(['a', 'b'], { penaltyMs: 1_000, now: () => now });
    pool.acquire().release(true); // a failed
    expect([pool.acquire(), pool.acquire()].map((l) => (l.release(), l.url))).toEqual(['b', 'b']);
    now = 1_000;
    expect(pool.acquire().url).toBe('a');
  });

  it('when every host failed, tries the one that failed first', () => {
    let now = 0;
    const pool = new HostPool(['a', 'b'], { penaltyMs: 1_000, now: () => now });
    const a = pool.acquire();
    const b = pool.acquire();
    b.release(true);
    now = 10;
    a.release(true);
    expect(pool.acquire().url).toBe('b');
  });
});
