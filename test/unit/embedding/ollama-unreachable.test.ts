/**
 * An Ollama that cannot be reached is reported with the setting (OLLAMA_HOST), its value and
 * the cause in words, telling a refused connection, a host name DNS does not know and a server
 * that never answers apart; never a bare `fetch failed`. Real sockets on this machine, no Ollama:
 * a closed port, a `.invalid` name (RFC 6761: never resolves), a server that accepts and is silent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { createOllamaEmbedder } from '../../../src/embedding/ollama-embedder.ts';
import { classifyOllamaError } from '../../../src/embedding/ollama-errors.ts';
import { freePort } from '../../helpers/fault-services.ts';
import { runCli } from '../../helpers/processes.ts';

/** The embedder for an OLLAMA_HOST value, read as the configuration reads it. */
const embedderAt = (ollamaHost: string, timeoutMs = 5_000) =>
  createOllamaEmbedder({ hosts: loadConfig({ OLLAMA_HOST: ollamaHost }).ollamaHost, model: 'all-minilm', dimension: 'any', timeoutMs, keepAlive: '5m' });

const failure = async (ollamaHost: string, timeoutMs?: number): Promise<{ code: string; message: string }> => {
  const embedder = embedderAt(ollamaHost, timeoutMs);
  try {
    await embedder.embed(['x']);
    throw new Error('the request succeeded');
  } catch (error) {
    return error as { code: string; message: string };
  } finally {
    await embedder.close?.();
  }
};

/** A port nothing listens on. */
const closedPort = (): Promise<number> => freePort(20_000);

describe('an unreachable Ollama', () => {
  let silent: Server;
  let silentPort: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket)); // accepts, reads nothing, answers nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('refusing the connection: names OLLAMA_HOST, the URL, "connection refused" and what to do', async () => {
    const port = await closedPort();
    const error = await failure(`127.0.0.1:${port}`);
    expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(error.message).toBe(`ollama http://127.0.0.1:${port} (OLLAMA_HOST): connection refused (connect ECONNREFUSED 127.0.0.1:${port}); ` +
      'nothing listens there: start Ollama (`ollama serve`), or set OLLAMA_HOST to the address it listens on');
  });

  it('a host name DNS does not know: names OLLAMA_HOST, the URL and the DNS failure', async () => {
    const error = await failure('era-ingest-test.invalid');
    expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(error.message).toMatch(/^ollama http:\/\/era-ingest-test\.invalid:11434 \(OLLAMA_HOST\): host name (not found by DNS \(getaddrinfo ENOTFOUND|lookup failed for now \(DNS unreachable or slow\) \(getaddrinfo EAI_AGAIN) era-ingest-test\.invalid\); check the host name in OLLAMA_HOST/);
    expect(error.message).not.toMatch(/connection refused|timed out/);
  });

  it('a server that accepts and never answers: names OLLAMA_HOST, the URL and the timeout with its setting', async () => {
    const error = await failure(`http://127.0.0.1:${silentPort}`, 300);
    expect(error.code).toBe('DEPENDENCY_TIMEOUT');
    expect(error.message).toBe(`ollama http://127.0.0.1:${silentPort} (OLLAMA_HOST): timed out: no answer to /api/embed within 300 ms (EMBED_TIMEOUT_MS)`);
  });

  it('finds the cause however deep fetch nests it, and says more than "fetch failed" when there is no code', () => {
    const ctx = { host: 'http://h:11434', model: 'm', timeoutMs: 1_000, timedOut: false, cancelled: false };
    const nested = new TypeError('fetch failed', { cause: new Error('connect', { cause: Object.assign(new Error('getaddrinfo EAI_AGAIN h'), { code: 'EAI_AGAIN' }) }) });
    expect(classifyOllamaError(nested, ctx).message).toBe('ollama http://h:11434 (OLLAMA_HOST): host name lookup failed for now (DNS unreachable or slow) (getaddrinfo EAI_AGAIN h); check the host name in OLLAMA_HOST, and the DNS of this machine');
    // Both addresses of "localhost" refused: an AggregateError with the code and no message of its own.
    const both = new TypeError('fetch failed', { cause: Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:9'), new Error('connect ECONNREFUSED 127.0.0.1:9')], ''), { code: 'ECONNREFUSED' }) });
    expect(classifyOllamaError(both, ctx).message).toMatch(/\(OLLAMA_HOST\): connection refused \(connect ECONNREFUSED ::1:9; connect ECONNREFUSED 127\.0\.0\.1:9\); nothing listens there/);
    const badPort = new TypeError('fetch failed', { cause: new Error('bad port') });
    expect(classifyOllamaError(badPort, ctx).message).toBe('ollama http://h:11434 (OLLAMA_HOST): fetch failed: bad port; is Ollama running there, and is OLLAMA_HOST its address?');
  });

  it('is what `era-ingest run` prints when it gives up: one line, the setting, the URL and the cause', { timeout: 60_000 }, async () => {
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'era-unreachable-'));
    const r = await runCli(['run', 'samples/finance', '--data-dir', join(dir, 'store')], { DATABASE_URL: '', EMBEDDER: 'ollama', OLLAMA_HOST: `:${port}`, RETRY_DEADLINE_MS: '1' });
    rmSync(dir, { recursive: true, force: true });
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(new RegExp(`^era-ingest: DEPENDENCY_UNAVAILABLE: ollama http://127\\.0\\.0\\.1:${port} \\(OLLAMA_HOST\\): connection refused \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)`, 'm'));
    expect(r.output).not.toMatch(/^\s+at /m);
  });
});
