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

/** The kind of a network failure, for the hint a caller adds (which setting to check, what to start). */
export type NetworkFailureKind = 'refused' | 'dns' | 'timeout' | 'closed' | 'unreachable';

/** The socket error codes of an outage, each with what it means for a person (`fetch failed` alone says none of it). */
const NETWORK_FAILURES: Record<string, { kind: NetworkFailureKind; meaning: string }> = {
  ECONNREFUSED: { kind: 'refused', meaning: 'connection refused' },
  ENOTFOUND: { kind: 'dns', meaning: 'host name not found by DNS' },
  EAI_AGAIN: { kind: 'dns', meaning: 'host name lookup failed for now (DNS unreachable or slow)' },
  ETIMEDOUT: { kind: 'timeout', meaning: 'connecting timed out' },
  UND_ERR_CONNECT_TIMEOUT: { kind: 'timeout', meaning: 'connecting timed out' },
  UND_ERR_HEADERS_TIMEOUT: { kind: 'timeout', meaning: 'timed out waiting for the answer' },
  UND_ERR_BODY_TIMEOUT: { kind: 'timeout', meaning: 'timed out reading the answer' },
  ECONNRESET: { kind: 'closed', meaning: 'connection closed by the server' },
  EPIPE: { kind: 'closed', meaning: 'connection closed by the server' },
  UND_ERR_SOCKET: { kind: 'closed', meaning: 'connection closed by the server' },
  UND_ERR_CLOSED: { kind: 'closed', meaning: 'connection closed' },
  EHOSTUNREACH: { kind: 'unreachable', meaning: 'host unreachable' },
  ENETUNREACH: { kind: 'unreachable', meaning: 'network unreachable' },
};

/** The first socket error `code` along the `cause` chain (fetch wraps them in TypeError('fetch failed')). */
export function networkCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(NETWORK_FAILURES, code)) return code;
  }
  return undefined;
}

/**
 * The innermost message of the `cause` chain (fetch's TypeError('fetch failed') wraps undici's
 * error, which may wrap the socket's; an AggregateError, every address of a name refused,
 * carries its attempts in `errors` and may have no message of its own).
 */
export function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const own = (e as { message?: unknown }).message;
    const attempts = (e as { errors?: unknown }).errors;
    if (typeof own === 'string' && own !== '') message = own;
    else if (Array.isArray(attempts) && attempts.length > 0) message = attempts.map((a: unknown) => (a instanceof Error ? a.message : String(a))).join('; ');
  }
  return message;
}

/**
 * A failed request's cause in words. A network failure: its meaning, its kind and the socket's
 * own message (`connection refused (connect ECONNREFUSED 127.0.0.1:11434)`). Anything else: the
 * outer message and the innermost one when they differ (`fetch failed: bad port`).
 */
export function describeFailure(error: unknown): { text: string; kind?: NetworkFailureKind } {
  const code = networkCode(error);
  const inner = innermostMessage(error);
  if (code) {
    const { kind, meaning } = NETWORK_FAILURES[code]!;
    return { text: `${meaning} (${inner.includes(code) ? inner : `${code}: ${inner}`})`, kind };
  }
  const outer = error instanceof Error ? error.message : String(error);
  return { text: outer === inner || outer === '' ? inner : `${outer}: ${inner}` };
}

/** Statuses that say "try again later": timeout, conflict, too early, rate limit, client closed, 5xx. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status === 499 || status >= 500;
}
