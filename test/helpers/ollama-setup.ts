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
  const ollama = await ensureService('OLLAMA_HOST', 'ollama/ollama.sh');
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
