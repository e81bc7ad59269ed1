/**
 * What one /api/embed request costs the embed stage's client (src/embedding/ollama-embedder.ts
 * through the `ollama` npm client), apart from the server's own latency: wall time and CPU of
 * this process per request, against the Ollama TEST DOUBLE running in a separate process with
 * no injected latency. Compares the global fetch (undici, what the product uses) with a small
 * fetch over node:http and a keep-alive agent, passed through the embedder's `fetch` option.
 *
 *   node --import tsx bench/tools/embed-client.ts [--requests 300] [--batch 16] [--dim 384]
 */
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { createOllamaEmbedder } from '../../src/embedding/ollama-embedder.ts';
import { ROOT } from '../lib/child.ts';
import { benchDocument } from '../lib/corpus.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const requests = arg('--requests', 300);
const batch = arg('--batch', 16);
const dim = arg('--dim', 384);

if (args.includes('--serve')) {
  // Child mode: run the double and print its URL.
  const { startOllamaDouble } = await import('../../test/helpers/ollama-double.ts');
  const double = await startOllamaDouble({ dimension: dim });
  process.stdout.write(`${double.url}\n`);
} else {
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}bench/tools/embed-client.ts`, '--serve', '--dim', String(dim)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const texts = Array.from({ length: batch }, (_, i) => benchDocument(i).text.slice(0, 1200));

  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  /** fetch over node:http: enough of the Fetch API for the ollama client's POST + JSON answer. */
  const httpFetch: typeof fetch = (input, init) => new Promise((resolve, reject) => {
    const target = new URL(String(input instanceof Request ? input.url : input));
    const req = httpRequest(target, { method: init?.method ?? 'GET', agent, headers: Object.fromEntries(new Headers(init?.headers).entries()), signal: init?.signal ?? undefined }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(new Response(Buffer.concat(parts), { status: res.statusCode ?? 500, headers: res.headers as Record<string, string> })));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init?.body as string | undefined);
  });

  const run = async (name: string, fetchImpl?: typeof fetch): Promise<void> => {
    const embedder = createOllamaEmbedder({ hosts: [url], model: 'all-minilm', dimension: dim, timeoutMs: 30_000, keepAlive: '5m', ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    for (let i = 0; i < 20; i++) await embedder.embed(texts); // warm-up
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < requests; i++) await embedder.embed(texts);
    const wallMs = (performance.now() - t) / requests;
    const used = process.cpuUsage(cpu);
    process.stdout.write(`${name.padEnd(34)} ${wallMs.toFixed(2).padStart(6)} ms per request (wall, server included), client CPU ${((used.user + used.system) / 1000 / requests).toFixed(2).padStart(5)} ms per request\n`);
  };
  process.stdout.write(`${requests} sequential /api/embed requests of ${batch} texts, ${dim}-dimensional answers, double with no added latency\n`);
  await run('global fetch (as shipped)');
  await run('node:http + keep-alive agent');
  await run('global fetch (as shipped), again');
  agent.destroy();
  child.kill();
}
