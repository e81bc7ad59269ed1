/**
 * Builds the configured embedder (EMBEDDER=hash|ollama|openai) from the validated configuration.
 */
import { SETTINGS, type Config } from '../config/schema.ts';
import { ConfigError } from '../errors/pipeline-error.ts';
import { createHashEmbedder, DEFAULT_HASH_MODEL, HASH_DEFAULT_DIMENSION } from './hash-embedder.ts';
import { createOllamaEmbedder } from './ollama-embedder.ts';
import { createOpenAIEmbedder } from './openai-embedder.ts';
import type { Embedder } from './types.ts';

export type EmbedderConfig = Pick<Config, 'embedder' | 'ollamaHost' | 'openaiBaseUrl' | 'openaiApiKey' | 'openaiSendDimensions' | 'embedModel' | 'embedTimeoutMs' | 'embedKeepAlive'> & {
  /** The settled dimension (./dimension.ts); `any` only to probe a model for its dimension. */
  embedDim: number | 'any';
};


/**
 * Creates the embedder named by `config.embedder`.
 *
 * - `hash`: the built-in lexical embedder. Its `model` label is `hash-v1`, unless EMBED_MODEL
 *   was changed from its default (which names an Ollama model and would mislabel lexical
 *   vectors in `chunks.model`).
 * - `ollama`: semantic embeddings from every URL of OLLAMA_HOST.
 * - `openai`: semantic embeddings from the OpenAI-compatible API at OPENAI_BASE_URL.
 *
 * No network call is made; a missing model shows on the first request as CONFIG_INVALID.
 *
 * @throws ConfigError naming the setting, the value and the fix.
 */
export function createEmbedder(config: EmbedderConfig): Embedder {
  switch (config.embedder) {
    case 'hash': {
      const model = config.embedModel === SETTINGS.embedModel.default ? DEFAULT_HASH_MODEL : config.embedModel;
      return createHashEmbedder({ dimension: config.embedDim === 'any' ? HASH_DEFAULT_DIMENSION : config.embedDim, model });
    }
    case 'ollama':
      return createOllamaEmbedder({
        hosts: config.ollamaHost,
        model: config.embedModel,
        dimension: config.embedDim,
        timeoutMs: config.embedTimeoutMs,
        keepAlive: config.embedKeepAlive,
      });
    case 'openai':
      return createOpenAIEmbedder({
        baseUrl: config.openaiBaseUrl,
        apiKey: config.openaiApiKey,
        model: config.embedModel,
        dimension: config.embedDim,
        timeoutMs: config.embedTimeoutMs,
        sendDimensions: config.openaiSendDimensions,
      });
    default:
      throw new ConfigError(
        `EMBEDDER=${JSON.stringify(config.embedder as unknown)} is invalid: use "hash" (built-in, lexical), "ollama" (semantic, needs OLLAMA_HOST) ` +
          'or "openai" (semantic, an OpenAI-compatible /v1/embeddings server at OPENAI_BASE_URL).',
      );
  }
}
