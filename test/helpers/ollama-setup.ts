/**
 * Vitest global setup for the `model` project: a real Ollama serving all-MiniLM-L6-v2.
 *
 * When OLLAMA_HOST is set it is used as it is (it must serve EMBED_MODEL, default all-minilm).
 * Otherwise infra/ollama/ollama.sh starts one (building it into the per-user cache on first
 * use) and teardown stops it only if this setup started it. Tests read the URL with
 * `ollamaHost()` (test/helpers/services.ts); it is not put into the environment, so processes
 * the other tests spawn keep talking to the Ollama-API double they are given.
 */
import type { TestProject } from 'vitest/node';
import { ensureService, serviceScript } from './service-script.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One model thread: the suite shares two cores with Kafka, PostgreSQL, the stage processes (and,
  // on a shared machine, whatever else runs); with a thread per core a descheduled thread stalls
  // the other, and batches that take 4 s idle took 16-22 s, past EMBED_TIMEOUT_MS under load.
  const ollama = await ensureService('OLLAMA_HOST', 'ollama/ollama.sh', { MODEL_THREADS: '1' });
  project.provide('ollamaHost', ollama.address.split(',')[0]!.trim());
  return async () => {
    if (ollama.started) await serviceScript('ollama/ollama.sh', 'stop');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    ollamaHost: string;
  }
}
