import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyError } from '../../../src/errors/pipeline-error.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { json, startFakeApi, type Harness } from './fakes.ts';

const TOKEN = 'unit-token-0123456789abcdef';
let h: Harness | undefined;
afterEach(async () => {
  await h?.api.close();
  h = undefined;
});

const start = async (options: Parameters<typeof startFakeApi>[0] = {}): Promise<Harness> => (h = await startFakeApi(options));
const errorOf = async (res: Response): Promise<{ code: string; message: string }> => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('HTTP API routing and authentication', () => {
  it('answers an unknown route 404 and a wrong method 405 with Allow, as JSON errors', async () => {
    const { base } = await start();
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ code: 'NOT_FOUND' });
    const wrong = await fetch(`${base}/documents`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await errorOf(wrong)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const del = await fetch(`${base}/jobs`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  it('asks for the bearer token on every route but the probes, and compares it exactly', async () => {
    const { base } = await start({ token: TOKEN });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    for (const [path, init] of [['/jobs', {}], ['/metrics', {}], ['/nope', {}], ['/documents', json({ id: 'a', text: 'x' })]] as const) {
      const res = await fetch(`${base}${path}`, init);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await errorOf(res)).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    for (const header of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      const res = await fetch(`${base}/jobs`, { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    }
    expect((await fetch(`${base}/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${base}/jobs`, { headers: { authorization: `bearer  ${TOKEN}` } })).status).toBe(200);
  });

  it('answers malformed HTTP with 400 and a closed socket, and keeps serving', async () => {
    const { base } = await start();
    const url = new URL(base);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write('GARBAGE \u0000 nonsense\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('checks query parameters before they reach the database', async () => {
    const { base, db } = await start();
    for (const query of ['', '?q=', '?q=%20%20', '?q=a&k=0', '?q=a&k=101', '?q=a&k=abc', '?q=a&k=1.5', '?q=a&minister=Not%20Safe', '?q=a&category=%00x', `?q=${'a'.repeat(5000)}`]) {
      const res = await fetch(`${base}/search${query}`);
      expect(res.status, query).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 'INVALID_REQUEST' });
    }
    expect((await fetch(`${base}/jobs/%ZZ`)).status).toBe(400);
    expect((await fetch(`${base}/jobs/a%00b`)).status).toBe(400);
    expect((await fetch(`${base}/jobs?limit=1000`)).status).toBe(400);
    expect(db.queries).toHaveLength(0);
    expect((await fetch(`${base}/jobs/unknown`)).status).toBe(404);
    const found = await fetch(`${base}/search?q=budget&k=3&minister=finance`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ query: 'budget', k: 3, kind: 'lexical', hits: [] });
  });
});

describe('GET /search parameters', () => {
  it('refuses a bad mode or metadata filter with 400 naming the parameter, before the database or the embedder', async () => {
    const { base, db, embedder } = await start();
    const cases: Array<[string, RegExp]> = [
      ['?q=a&mode=fuzzy', /^mode "fuzzy" is not a search mode: use vector, text, hybrid/],
      ['?q=a&metadata=%7Bbad', /^metadata is not JSON/],
      ['?q=a&metadata=%5B1%5D', /^metadata must be a JSON object.*got an array/],
      ['?q=a&metadata=%22faq%22', /^metadata must be a JSON object.*got string/],
      ['?q=a&metadata=null', /^metadata must be a JSON object.*got null/],
      [`?q=a&source=${'s'.repeat(1100)}`, /^source is invalid/],
      ['?q=a&source=a%00b', /^source is invalid/],
    ];
    for (const [query, message] of cases) {
      const res = await fetch(`${base}/search${query}`);
      expect(res.status, query).toBe(400);
      const error = await errorOf(res);
      expect(error.code, query).toBe('INVALID_REQUEST');
      expect(error.message, query).toMatch(message);
    }
    expect(db.queries).toHaveLength(0);
    expect(embedder.arrivals).toBe(0);
  });

  it('passes the mode and every filter to the search, and embeds no query in text mode', async () => {
    const { base, db, embedder } = await start();
    const metadata = { type: 'faq', tags: ['tax'] };
    const res = await fetch(`${base}/search?q=tax%20return&mode=text&source=file%3A%2F%2F%2Fdocs%2F&metadata=${encodeURIComponent(JSON.stringify(metadata))}&minister=finance&category=taxation&k=7`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      query: 'tax return', mode: 'text', k: 7, hits: [],
      filters: { minister: 'finance', category: 'taxation', sourcePrefix: 'file:///docs/', metadata },
    });
    expect(embedder.arrivals).toBe(0);
    const [text] = db.queries;
    expect(text!.sql).toContain('websearch_to_tsquery');
    expect(text!.params).toEqual(['"tax" or "return"', 7, 'finance', 'taxation', [0.1, 0.2, 0.4, 1.0], 'file:///docs/', JSON.stringify(metadata)]);

    db.queries.length = 0;
    const hybrid = await fetch(`${base}/search?q=tax`);
    expect(await hybrid.json()).toMatchObject({ mode: 'hybrid', filters: {} });
    expect(embedder.arrivals).toBe(1);
    expect(db.queries.some((q) => q.sql.includes('websearch_to_tsquery'))).toBe(true);
    expect(db.queries.some((q) => q.sql.includes('<=>'))).toBe(true);
  });
});

describe('HTTP API readiness, metrics and shutdown', () => {
  it('is ready only with the producer connected and the database answering', async () => {
    const { base, publisher, db } = await start();
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', kafka: true, database: true });
    publisher.up = false;
    const noKafka = await fetch(`${base}/readyz`);
    expect(noKafka.status).toBe(503);
    expect(await noKafka.json()).toMatchObject({ kafka: false, database: true });
    publisher.up = true;
    db.down = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('serves the injected registry, with request counts by route template', async () => {
    const { base } = await start();
    await fetch(`${base}/jobs/some-id`);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/era_api_requests_total\{route="\/jobs\/:id",method="GET",status="404"\} 1/);
  });

  it('answers 503 with Retry-After when Kafka refuses, and publishes nothing twice', async () => {
    const { base, publisher } = await start();
    publisher.failWith = new DependencyError('kafka', 'broker down');
    const res = await fetch(`${base}/documents`, json({ id: 'a', text: 'x' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await errorOf(res)).toEqual({ code: 'DEPENDENCY_UNAVAILABLE', message: 'kafka is unavailable; retry later' });
    expect(publisher.records).toEqual([]); // the refused request published nothing
    // The client retries once Kafka is back: the document is published once, not twice.
    publisher.failWith = undefined;
    expect((await fetch(`${base}/documents`, json({ id: 'a', text: 'x' }))).status).toBe(202);
    expect(publisher.records.map((r) => r.key)).toEqual(['a']);
  });

  it('refuses submissions beyond the concurrency bound with 503 BUSY', async () => {
    const { base, publisher } = await start({ maxConcurrentSubmissions: 1 });
    let open!: () => void;
    publisher.gate = new Promise((resolve) => (open = resolve));
    const first = fetch(`${base}/documents`, json({ id: 'a', text: 'x' }));
    await waitFor(() => publisher.arrivals === 1, { what: 'the first submission to reach the publisher' });
    const second = await fetch(`${base}/documents`, json({ id: 'b', text: 'y' }));
    expect(second.status).toBe(503);
    expect(await errorOf(second)).toMatchObject({ code: 'BUSY' });
    open();
    expect((await first).status).toBe(202);
  });

  it('refuses searches beyond the concurrency bound with 503 BUSY and Retry-After, and answers again once one finished', async () => {
    const { base, embedder } = await start({ maxConcurrentSearches: 1 });
    let open!: () => void;
    embedder.gate = new Promise((resolve) => (open = resolve));
    const first = fetch(`${base}/search?q=budget`);
    await waitFor(() => embedder.arrivals === 1, { what: 'the first search to reach the embedder' });
    const second = await fetch(`${base}/search?q=hospital`);
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await errorOf(second)).toMatchObject({ code: 'BUSY' });
    open();
    expect((await first).status).toBe(200);
    expect((await fetch(`${base}/search?q=hospital`)).status).toBe(200);
  });

  it('finishes an in-flight request on close, then stops accepting', async () => {
    const { api, base, publisher } = await start();
    let open!: () => void;
    publisher.gate = new Promise((resolve) => (open = resolve));
    const inFlight = fetch(`${base}/documents`, json({ id: 'a', text: 'x' }));
    await waitFor(() => publisher.arrivals === 1, { what: 'the request to reach the publisher' });
    const closed = api.close();
    expect((await fetch(`${base}/readyz`).catch(() => undefined))?.status ?? 'refused').not.toBe(200);
    open();
    expect((await inFlight).status).toBe(202);
    await closed;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(publisher.records.map((r) => r.key)).toEqual(['a']);
  });
});

describe('HTTP API request bodies', () => {
  it('requires Content-Type application/json (415)', async () => {
    const { base, publisher } = await start();
    for (const type of ['text/plain', 'application/jsonx', 'multipart/form-data']) {
      const res = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': type }, body: '{"id":"a","text":"x"}' });
      expect(res.status, type).toBe(415);
      expect(await errorOf(res)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    const ok = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"id":"a","text":"x"}' });
    expect(ok.status).toBe(202);
    expect(publisher.records).toHaveLength(1);
  });

  it('refuses a declared oversize body with 413 without reading it', async () => {
    const { base } = await start({ maxBodyBytes: 2048 });
    const res = await fetch(`${base}/documents`, json({ id: 'a', text: 'x'.repeat(4096) }));
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await errorOf(res)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('stops reading a streamed (chunked) body at the limit and answers 413', async () => {
    const { base, publisher } = await start({ maxBodyBytes: 64 * 1024 });
    const url = new URL(base);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const target = 50 * 1024 * 1024;
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/documents', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"id":"big","text":"');
      const pump = (): void => {
        while (written < target) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      pump();
    });
    expect(status).toBe(413);
    expect(written).toBeLessThan(target);
    expect(publisher.records).toHaveLength(0);
  });
});
