/**
 * The embedder of a re-embedding's model, checked before any work: it must exist and return
 * vectors of the dimension the set is registered with.
 */
import type { Config } from '../config/schema.ts';
import { createEmbedder } from '../embedding/create-embedder.ts';
import { DEFAULT_HASH_MODEL } from '../embedding/hash-embedder.ts';
import type { Embedder } from '../embedding/types.ts';
import { ConfigError } from '../errors/pipeline-error.ts';
import type { RetryPolicy } from '../config/retry-policy.ts';
import { retry, type RetryHooks } from '../engine/backoff.ts';

/** The embedder for `model`; with EMBEDDER=hash `model` is the label of its vectors. */
export function modelEmbedder(config: Config, model: string, dimension: number): Embedder {
  if (config.embedder === 'hash' && model === config.embedModel && model !== DEFAULT_HASH_MODEL) {
    throw new ConfigError(`--model ${model} is EMBED_MODEL while EMBEDDER=hash: name the label of the new hash vectors (e.g. hash-v1-${dimension}), or set EMBEDDER=ollama or EMBEDDER=openai to re-embed with the model ${model}`);
  }
  const embedder = createEmbedder({ ...config, embedModel: model, embedDim: dimension });
  if (embedder.model !== model) throw new ConfigError(`--model ${model}: EMBEDDER=${config.embedder} labels its vectors ${embedder.model}; give that name or another label`);
  return embedder;
}

/**
 * Embeds one text: fails early on an unknown model or another dimension than `dimension` (the
 * message names the right --dim), and waits out an embedder that is still starting.
 */
export async function probeModel(embedder: Embedder, dimension: number, policy: RetryPolicy, hooks: RetryHooks): Promise<void> {
  try {
    await retry(() => embedder.embed(['era-ingest reembed probe'], hooks.signal), policy, hooks);
  } catch (error) {
    const actual = error instanceof ConfigError ? /returns (\d+)-dimensional/.exec(error.message)?.[1] : undefined;
    if (actual) throw new ConfigError(`${embedder.model} returns ${actual}-dimensional vectors, not ${dimension}: give --dim ${actual}`);
    throw error;
  }
}
