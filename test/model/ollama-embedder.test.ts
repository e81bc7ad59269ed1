/**
 * EMBEDDER=ollama against the REAL model (Ollama v0.11.4 serving all-MiniLM-L6-v2): what only a
 * real server shows. Vectors and their meaning; an input over the model's 512-token context
 * (cut when `truncate` is on, our default; refused with truncate off, and then only that input
 * fails its batch); an unknown model; and a server stopped in the middle of `era-ingest run`,
 * which is waited for and retried, never dead-lettered. The last one runs a private Ollama
 * (infra/ollama/ollama.sh on its own port and state directory) so it can be stopped.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { embedWithBisect } from '../../src/embedding/embed-batch.ts';
import { createOllamaEmbedder } from '../../src/embedding/ollama-embedder.ts';
import type { Embedder } from '../../src/embedding/types.ts';
import { caught } from '../helpers/caught.ts';
import { freePort } from '../helpers/fault-services.ts';
import { startProcess } from '../helpers/processes.ts';
import { ollamaHost } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);
const OLLAMA_SH = fileURLToPath(new URL('../../infra/ollama/ollama.sh', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
const MODEL = 'all-minilm';
const DIM = 384;

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
/** About 2,000 tokens: four times the model's context. */
const overLong = Array.from({ length: 1_000 }, (_, i) => `paragraph${i}`).join(' ');

describe('Ollama embedder against the real model', () => {
  let embedder: Embedder;

  beforeAll(() => {
    embedder = createOllamaEmbedder({ hosts: [ollamaHost()], model: MODEL, dimension: DIM, timeoutMs: 120_000, keepAlive: '5m' });
  });

  it('returns unit vectors that put a paraphrase nearer than an unrelated sentence', async () => {
    const [a, b, c] = await embedder.embed([
      'The government will spend more on hospitals next year.',
      'Extra money for the health service is planned for the coming year.',
      'The recipe needs two eggs and a cup of flour.',
    ]);
    for (const v of [a!, b!, c!]) expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 3);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.2);
  });

  it('cuts an input over the context by default, and with truncate off refuses it alone in its batch', async () => {
    const [cut] = await embedder.embed([overLong]);
    expect(cut).toHaveLength(DIM);

    const strict = createOllamaEmbedder({ hosts: [ollamaHost()], model: MODEL, dimension: DIM, timeoutMs: 120_000, keepAlive: '5m', truncate: false });
    expect(await caught(strict.embed([overLong]))).toMatchObject({ code: 'EMBEDDER_REJECTED_INPUT', retriable: false, message: expect.stringMatching(/context length/) });
    const outcomes = await embedWithBisect(strict, ['a short sentence', overLong, 'another short one', 'and a third']);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true]);
  });

  it('names EMBED_MODEL for a model the server does not have', async () => {
    const missing = createOllamaEmbedder({ hosts: [ollamaHost()], model: 'no-such-model', dimension: DIM, timeoutMs: 30_000, keepAlive: '5m' });
    expect(await caught(missing.embed(['x']))).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/EMBED_MODEL|no-such-model/) });
  });
});

describe('the model server stopped in the middle of era-ingest run', () => {
  it('waits and retries while it is down, dead-letters nothing, and finishes once it is back', async () => {
    // A private Ollama: its own port and state directory, the shared per-user build and weights.
    const state = mkdtempSync(join(tmpdir(), 'era-ollama-'));
    const port = String(await freePort(11_700));
    const env = { ...process.env, OLLAMA_PORT: port, ERA_STATE_DIR: state, MODEL_THREADS: '1' };
    const ollama = (command: 'start' | 'stop') => run(OLLAMA_SH, [command], { env, timeout: 20 * 60_000 });
    const dataDir = mkdtempSync(join(tmpdir(), 'era-run-outage-'));
    try {
      const url = (await ollama('start')).stdout.trim().split('\n').at(-1)!;
      const served = () => (readFileSync(join(state, `ollama-${port}`, 'ollama.log'), 'utf8').match(/POST\s+"\/api\/embed"/g) ?? []).length;
      const before = served(); // the script's own check
      const r = startProcess('src/cli/main.ts', ['run', SAMPLES, '--data-dir', dataDir, '--json'], {
        DATABASE_URL: '', EMBEDDER: 'ollama', OLLAMA_HOST: url, EMBED_DIM: '', LOG_LEVEL: 'warn',
      });
      await waitFor(() => served() >= before + 4, { timeoutMs: 180_000, intervalMs: 200, what: 'the run to send its first embedding requests' });
      await ollama('stop');
      await r.waitForOutput(/retrying in/, 120_000);
      await ollama('start');
      const code = await r.exited;
      expect(code, r.output().slice(-3000)).toBe(0);
      const summary = JSON.parse(r.output().slice(r.output().search(/^\{$/m))) as { documents: number; deadLetters: number; failures: unknown[] };
      expect(summary.deadLetters).toBe(0);
      expect(summary.failures).toEqual([]);
      expect(summary.documents).toBeGreaterThan(30);
    } finally {
      await ollama('stop').catch(() => undefined);
      rmSync(state, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
    // The whole sample folder through the real model, twice started: minutes on a loaded 2-core machine.
  }, 600_000);
});
