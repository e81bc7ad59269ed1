// The OpenAI-compatible embedder's classification table (src/embedding/openai-errors.ts) for
// answers the test double does not give: other servers' words (OpenAI, vLLM, LiteLLM, TEI).
// The rows the double can produce are covered over HTTP in
// test/integration/embedding/openai-embedder.test.ts.
import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyOpenAIError, redact, type OpenAICallContext } from '../../../src/embedding/openai-errors.ts';
import { ConfigError, DependencyError, PipelineError } from '../../../src/errors/pipeline-error.ts';

const KEY = 'sk-proj-abcdefghijklmnop0123';
const ctx: OpenAICallContext = {
  baseUrl: 'https://api.example.com/v1', model: 'text-embedding-3-small', dimension: 256, sentDimensions: false, apiKey: KEY,
  timeoutMs: 1_000, timedOut: false, cancelled: false,
};

/** What the client throws for a non-2xx answer whose JSON body is `body` (undefined: no JSON body). */
const answered = (status: number, body?: object, text?: string) => APIError.generate(status, body, text, new Headers());
const openaiError = (status: number, message: string, code: string | null = null) =>
  answered(status, { error: { message, type: 'invalid_request_error', param: null, code } });

describe('OpenAI-compatible error classification', () => {
  it.each([
    ['OpenAI', openaiError(404, 'The model `text-embedding-4` does not exist or you do not have access to it.', 'model_not_found')],
    ['vLLM', openaiError(404, 'The model `bge-m3` does not exist.')],
    ['LiteLLM', openaiError(400, 'Invalid model name passed in model=text-embedding-4. Call `/v1/models` to view available models for your key.')],
    ['Ollama', openaiError(404, 'model "nomic-embed-text" not found, try pulling it first')],
  ])('%s: an unknown model names EMBED_MODEL', (_, error) => {
    const classified = classifyOpenAIError(error, ctx);
    expect(classified).toBeInstanceOf(ConfigError);
    expect(classified.message).toMatch(/^EMBED_MODEL=text-embedding-3-small: .*https:\/\/api\.example\.com\/v1\/models/);
  });

  it('a model that cannot embed names EMBED_MODEL', () => {
    expect(classifyOpenAIError(openaiError(400, '"llama3" does not support embeddings'), ctx).message).toMatch(/^EMBED_MODEL=.*cannot embed/);
  });

  it.each([
    ['Go mux text', answered(404, undefined, '404 page not found')],
    ['Ollama-style JSON string', answered(404, { error: '404 page not found' })],
    ['FastAPI (no error field)', answered(404, { detail: 'Not Found' })],
  ])('a 404 of the route itself (%s) names OPENAI_BASE_URL', (_, error) => {
    expect(classifyOpenAIError(error, ctx).message).toMatch(/^OPENAI_BASE_URL=https:\/\/api\.example\.com\/v1: .*\/v1/);
  });

  it('names OPENAI_SEND_DIMENSIONS only when `dimensions` was sent', () => {
    const refusal = openaiError(400, 'This model does not support specifying dimensions.');
    expect(classifyOpenAIError(refusal, { ...ctx, sentDimensions: true }).message).toMatch(/^OPENAI_SEND_DIMENSIONS=true: .*dimensions=256/);
    const vllm = openaiError(400, 'Model "x" does not support matryoshka representation, changing output dimensions will lead to poor results.');
    expect(classifyOpenAIError(vllm, { ...ctx, sentDimensions: true }).message).toMatch(/^OPENAI_SEND_DIMENSIONS/);
  });

  it.each([
    ['OpenAI', 400, "This model's maximum context length is 8192 tokens, however you requested 9000 tokens. Please reduce your prompt."],
    ['TEI', 413, 'Input validation error: `inputs` must have less than 512 tokens. Given: 600'],
    ['OpenAI empty input', 400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."],
    ['older Ollama', 500, 'input length exceeds maximum context length'],
  ])('%s: %i rejects the input (poison, bisected)', (_, status, message) => {
    expect(classifyOpenAIError(openaiError(status, message), ctx)).toMatchObject({ code: 'EMBEDDER_REJECTED_INPUT', retriable: false });
  });

  it.each([
    [500, 'failed to encode response: json: unsupported value: NaN'],
    [400, 'embedding contains NaN or Inf values'],
  ])('%i %s is a bad response for the input (poison)', (status, message) => {
    expect(classifyOpenAIError(openaiError(status, message), ctx)).toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE', retriable: false });
  });

  it('a rate limit or an exhausted quota is retried, never dead-lettered', () => {
    const quota = openaiError(429, 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota');
    expect(classifyOpenAIError(quota, ctx)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, message: expect.stringMatching(/429 .*quota/) });
  });

  it('connection reset is a retriable dependency failure naming the code', () => {
    const reset = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }) });
    const error = classifyOpenAIError(reset, ctx);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, message: expect.stringMatching(/^openai https:\/\/api\.example\.com\/v1: connection closed by the server \(read ECONNRESET\); is the server running there \(OPENAI_BASE_URL\)\?/) });
  });

  it('our timeout is DEPENDENCY_TIMEOUT and a caller abort SHUTDOWN, whatever the client threw', () => {
    const thrown = new APIConnectionError({ message: 'Request was aborted.' });
    expect(classifyOpenAIError(thrown, { ...ctx, timedOut: true })).toMatchObject({ code: 'DEPENDENCY_TIMEOUT', retriable: true, message: expect.stringMatching(/1000 ms/) });
    expect(classifyOpenAIError(thrown, { ...ctx, cancelled: true })).toMatchObject({ code: 'SHUTDOWN', retriable: true });
  });

  it('a 200 body that is not JSON is a bad response; PipelineErrors pass through', () => {
    expect(classifyOpenAIError(new SyntaxError('Unexpected token < in JSON'), ctx).code).toBe('EMBEDDER_BAD_RESPONSE');
    const own = new PipelineError('EMBEDDER_BAD_RESPONSE', 'x');
    expect(classifyOpenAIError(own, ctx)).toBe(own);
  });

  it('never shows the key: not the configured one, not a masked one a server quotes', () => {
    const quoted = openaiError(401, `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_api_key');
    const masked = openaiError(401, 'Incorrect API key provided: sk-proj-********************0123.', 'invalid_api_key');
    const echoedIn500 = openaiError(500, `upstream failed for key ${KEY}`);
    for (const error of [quoted, masked, echoedIn500]) {
      const message = classifyOpenAIError(error, ctx).message;
      expect(message).not.toContain(KEY);
      expect(message).not.toContain('0123');
    }
    expect(classifyOpenAIError(quoted, ctx).message).toMatch(/^OPENAI_API_KEY: .*check that the key is valid/);
    expect(redact(`a ${KEY} b sk-other-key-42`, KEY)).toBe('a *** b sk-***');
  });
});
