/**
 * The real model server of the `model` scenario. `probeModelServer` is called once before
 * anything is measured: every host of OLLAMA_HOST must answer GET /api/version as a real
 * Ollama (not the test double) and embed with the model, in vectors that mean something
 * (./../lib/model.ts `isSemantic`); it throws an Error saying what to fix otherwise.
 * `ModelServerCpu` reads the CPU of the server's processes on this machine (the process
 * listening on a host's port and the runners it started), for the report's services.
 */
import { createOllamaEmbedder } from '../../src/embedding/ollama-embedder.ts';
import { isSemantic, SEMANTIC_PROBE } from '../lib/model.ts';
import { cpuSecondsBetween, cpuTicksOf, processTreeOnPort } from '../lib/proc.ts';
import type { ModelServer } from '../lib/types.ts';

/** How to get a server, for every message that lacks one. */
export const START_HINT = 'start one with `OLLAMA_HOST=$(infra/ollama/ollama.sh start)` (Ollama v0.11.4 serving all-minilm) and run the bench with that OLLAMA_HOST';

export const hostsOf = (host: string): string[] => host.split(',').map((h) => h.trim()).filter(Boolean);

async function version(host: string, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(new URL('/api/version', host), { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`OLLAMA_HOST ${host} did not answer GET /api/version (${(error as Error).message}): ${START_HINT}`);
  }
  const body = (await res.json().catch(() => ({}))) as { version?: unknown };
  if (!res.ok || typeof body.version !== 'string') throw new Error(`OLLAMA_HOST ${host} answered GET /api/version with HTTP ${res.status} and no version: is it an Ollama? ${START_HINT}`);
  if (body.version.includes('test-double')) throw new Error(`OLLAMA_HOST ${host} is the Ollama TEST DOUBLE (version ${body.version}), not a model: ${START_HINT}`);
  return body.version;
}

/**
 * Checks every host and returns the server's description. The model's first answer may take a
 * while (it is loaded on demand), hence the long timeout.
 */
export async function probeModelServer(host: string, model: string, timeoutMs = 120_000): Promise<ModelServer> {
  const hosts = hostsOf(host);
  if (hosts.length === 0) throw new Error(`OLLAMA_HOST is empty: ${START_HINT}`);
  let found: ModelServer | undefined;
  for (const h of hosts) {
    const v = await version(h, 10_000);
    const embedder = createOllamaEmbedder({ hosts: [h], model, dimension: 'any', timeoutMs, keepAlive: '5m' });
    let vectors: Float32Array[];
    try {
      vectors = await embedder.embed([...SEMANTIC_PROBE]);
    } catch (error) {
      throw new Error(`OLLAMA_HOST ${h} (Ollama ${v}) did not embed with the model ${model}: ${(error as Error).message.split('\n')[0]}`);
    } finally {
      await embedder.close?.();
    }
    if (!isSemantic(vectors)) throw new Error(`OLLAMA_HOST ${h} model ${model} embeds, but a paraphrase is no closer than an unrelated sentence: not a semantic embedding model; ${START_HINT}`);
    const dimension = vectors[0]!.length;
    if (found && found.dimension !== dimension) throw new Error(`OLLAMA_HOST hosts disagree on the dimension of ${model}: ${found.dimension} and ${dimension} (${h})`);
    found ??= { host: hosts.join(','), model, version: v, dimension };
  }
  return found!;
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', '0.0.0.0']);

/**
 * CPU of the model server's processes on this machine between `open()` and `close()`. The
 * processes are looked up at `open()` (after the model is loaded: its runner exists then);
 * `available` is false when no host is local or its process cannot be seen.
 */
export class ModelServerCpu {
  private pids: number[] = [];
  private before = new Map<number, number>();

  constructor(private readonly host: string) {}

  get available(): boolean {
    return this.pids.length > 0;
  }

  open(): void {
    this.pids = hostsOf(this.host).flatMap((h) => {
      const url = new URL(h);
      return LOCAL.has(url.hostname) ? processTreeOnPort(Number(url.port || 80)) : [];
    });
    this.before = cpuTicksOf(this.pids);
  }

  /** CPU seconds of the server's processes since `open()`; undefined when they were not found. */
  close(): number | undefined {
    return this.available ? cpuSecondsBetween(this.before, cpuTicksOf(this.pids)) : undefined;
  }
}
