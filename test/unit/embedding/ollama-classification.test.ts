import { describe, expect, it } from 'vitest';
import { ConfigError, DependencyError, PipelineError } from '../../../src/errors/pipeline-error.ts';
import { classifyOllamaError, type OllamaCallContext } from '../../../src/embedding/ollama-errors.ts';

const ctx: OllamaCallContext = { host: 'http://h:11434', model: 'all-minilm', timeoutMs: 1_000, timedOut: false, cancelled: false };

/** What the `ollama` client throws for a non-2xx answer (its ResponseError). */
function responseError(status: number, message: string): Error {
  return Object.assign(new Error(message), { name: 'ResponseError', error: message, status_code: status });
}

describe('Ollama error classification', () => {
  it.each([
    [503, 'server busy, please try again.  maximum pending requests exceeded'],
    [500, 'llama runner process has terminated: exit status 2'],
    [502, 'Bad Gateway'],
    [429, 'too many requests'],
  ])('%i is a retriable dependency failure', (status, message) => {
    const error = classifyOllamaError(responseError(status, message), ctx);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    expect(error.message).toContain(message);
  });

  it.each([
    [400, 'the input length exceeds the context length'],
    [400, 'input exceeds maximum context length and cannot be truncated further'],
    [413, 'request entity too large'],
    [500, 'input length exceeds maximum context length'], // older Ollama answered 500
  ])('%i %s rejects the input (poison)', (status, message) => {
    expect(classifyOllamaError(responseError(status, message), ctx)).toMatchObject({ code: 'EMBEDDER_REJECTED_INPUT', retriable: false });
  });

  it.each([
    [500, 'failed to encode response: json: unsupported value: NaN'],
    [400, 'embedding contains NaN or Inf values'],
  ])('%i %s is a bad response for the input (poison)', (status, message) => {
    expect(classifyOllamaError(responseError(status, message), ctx)).toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false });
  });

  it('turns a missing model into CONFIG_INVALID telling the operator to pull it', () => {
    for (const message of ['model "all-minilm" not found, try pulling it first', "model 'all-minilm' not found"]) {
      const error = classifyOllamaError(responseError(404, message), ctx);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.retriable).toBe(false);
      expect(error.message).toContain('ollama pull all-minilm');
      expect(error.message).toContain('EMBED_MODEL=all-minilm');
    }
  });

  it('turns a model that cannot embed, a 404 path and 401/403 into CONFIG_INVALID', () => {
    expect(classifyOllamaError(responseError(400, '"llama3" does not support embeddings'), ctx).code).toBe('CONFIG_INVALID');
    expect(classifyOllamaError(responseError(404, '404 page not found'), ctx).message).toMatch(/has no \/api\/embed/);
    expect(classifyOllamaError(responseError(401, 'unauthorized'), ctx).message).toMatch(/credentials/);
  });

  it('turns connection refused/reset into a retriable dependency failure naming the code', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']) {
      const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
      const error = classifyOllamaError(fetchFailed, ctx);
      expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
      expect(error.message).toContain(code);
    }
  });

  it('reports our timeout as DEPENDENCY_TIMEOUT and a caller abort as retriable SHUTDOWN', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(classifyOllamaError(abort, { ...ctx, timedOut: true })).toMatchObject({ code: 'DEPENDENCY_TIMEOUT', retriable: true });
    expect(classifyOllamaError(abort, { ...ctx, cancelled: true })).toMatchObject({ code: 'SHUTDOWN', retriable: true });
  });

  it('treats a 200 body that is not JSON as a bad response', () => {
    expect(classifyOllamaError(new SyntaxError('Unexpected token < in JSON'), ctx).code).toBe('EMBEDDER_BAD_RESPONSE');
  });

  it('passes PipelineErrors through', () => {
    const error = new PipelineError('EMBEDDER_BAD_RESPONSE', 'x');
    expect(classifyOllamaError(error, ctx)).toBe(error);
  });
});
