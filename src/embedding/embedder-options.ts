/**
 * Construction-time checks shared by the HTTP embedders (Ollama, OpenAI-compatible): each names
 * the setting, the value and the fix (STYLE: fail fast at construction). No request is made.
 */
import { ConfigError } from '../errors/pipeline-error.ts';

/** The longest a Node timer can wait, ms (2^31 − 1, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ModelOptions {
  /** EMBED_MODEL. */
  model: string;
  /** EMBED_DIM; `any` to learn the model's (./dimension.ts). */
  dimension: number | 'any';
  /** EMBED_TIMEOUT_MS. */
  timeoutMs: number;
}

/**
 * @param example a model the server kind serves, for the message (e.g. "an Ollama embedding
 *   model, e.g. all-minilm").
 * @throws ConfigError naming EMBED_MODEL, EMBED_DIM or EMBED_TIMEOUT_MS.
 */
export function checkModelOptions({ model, dimension, timeoutMs }: ModelOptions, example: string): void {
  if (typeof model !== 'string' || model.trim() === '') throw new ConfigError(`EMBED_MODEL is empty: name ${example}.`);
  if (dimension !== 'any' && (!Number.isInteger(dimension) || dimension < 2)) throw new ConfigError(`EMBED_DIM=${String(dimension)} is invalid: use the model's dimension (all-minilm: 384), or leave it unset to take the model's.`);
  // Node fires a longer timer at once (about 24.8 days is its limit): every request would time out.
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new ConfigError(`EMBED_TIMEOUT_MS=${String(timeoutMs)} is invalid: use a positive number of milliseconds up to ${MAX_TIMER_MS}, e.g. 30000.`);
  }
}

/**
 * Returns `value` without trailing slashes.
 *
 * @param setting the variable it came from, e.g. `OLLAMA_HOST entry` or `OPENAI_BASE_URL`.
 * @throws ConfigError when `value` is not an http(s) URL.
 */
export function checkHttpUrl(value: string, setting: string, example: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(`${setting} ${JSON.stringify(value)} is not an http(s) URL: use e.g. ${example}.`);
  }
  return value.replace(/\/+$/, '');
}
