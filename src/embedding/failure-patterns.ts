/**
 * What a failed embedding request says about its cause, read once here for every HTTP embedder:
 * the socket error codes of an outage, and the texts by which servers report conditions that a
 * status code alone does not tell apart. Ollama's own API and its OpenAI-compatible `/v1` share
 * one handler (server/routes.go `EmbedHandler`), so both say the same words.
 */

/**
 * The model emitted NaN/Inf for the input: Ollama (Go's encoding/json cannot encode NaN) answers
 * 500 "json: unsupported value: NaN" (ollama/ollama#9639, #15582); newer versions check first
 * and answer 400 "embedding contains NaN or Inf values". A property of the input on that model.
 */
export const NON_FINITE = /unsupported value: [-+]?(NaN|Inf)|contains NaN|NaN or Inf/i;
/** The input is longer than the model's context (Ollama with truncate=false, older Ollama 5xx). */
export const TOO_LONG = /exceeds (the )?(maximum )?context length|input length exceeds/i;
/** Ollama: the model is not pulled. */
export const MODEL_MISSING = /model ["'].*["'] not found|not found, try pulling it first/i;
/** Ollama: the model exists but is not an embedding model (`"llama3" does not support embeddings`). */
export const NOT_CAPABLE = /does not support/i;

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

/** The first socket error `code` along the `cause` chain (fetch wraps them in TypeError('fetch failed')). */
export function networkCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** Statuses that say "try again later": timeout, conflict, too early, rate limit, client closed, 5xx. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status === 499 || status >= 500;
}
