import { describe, expect, it } from 'vitest';
import { ConfigError, DependencyError, PipelineError } from '../../../src/errors/pipeline-error.ts';
import { embedWithBisect, isInputError } from '../../../src/embedding/embed-batch.ts';
import type { Embedder } from '../../../src/embedding/types.ts';

interface FakeEmbedder extends Embedder {
  calls: string[][];
}

/**
 * A fake embedder that fails a whole request when any input contains "POISON" (like Ollama's
 * 400 for one over-long input), and otherwise encodes each text's index in its vector.
 */
function fakeEmbedder(fail: (texts: readonly string[], call: number) => Error | undefined = () => undefined): FakeEmbedder {
  const calls: string[][] = [];
  return {
    model: 'fake', dimension: 2, kind: 'semantic', calls,
    async embed(texts) {
      calls.push([...texts]);
      const error = fail(texts, calls.length) ??
        (texts.some((t) => t.includes('POISON')) ? new PipelineError('EMBEDDER_REJECTED_INPUT', 'input rejected') : undefined);
      if (error) throw error;
      return texts.map((t) => new Float32Array([Number(t.replace(/\D/g, '')), 1]));
    },
  };
}

const batch = (n: number, poison: number[] = []) => Array.from({ length: n }, (_, i) => (poison.includes(i) ? `POISON ${i}` : `text ${i}`));

describe('embedWithBisect', () => {
  it('embeds a clean batch in one call', async () => {
    const embedder = fakeEmbedder();
    const outcomes = await embedWithBisect(embedder, batch(16));
    expect(embedder.calls).toHaveLength(1);
    expect(outcomes.map((o) => o.ok && o.vector[0])).toEqual([...Array(16).keys()]);
  });

  it('makes no call for an empty batch', async () => {
    const embedder = fakeEmbedder();
    expect(await embedWithBisect(embedder, [])).toEqual([]);
    expect(embedder.calls).toHaveLength(0);
  });

  it('isolates one poison input among 16 with 2·log2(16) extra calls', async () => {
    const embedder = fakeEmbedder();
    const outcomes = await embedWithBisect(embedder, batch(16, [11]));
    expect(embedder.calls).toHaveLength(1 + 2 * Math.log2(16));
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(1);
    const bad = outcomes[11]!;
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ code: 'EMBEDDER_REJECTED_INPUT', retriable: false });
    outcomes.forEach((o, i) => i !== 11 && expect(o).toMatchObject({ ok: true, vector: new Float32Array([i, 1]) }));
  });

  it('isolates two poison inputs and keeps every other vector in place', async () => {
    const embedder = fakeEmbedder();
    const outcomes = await embedWithBisect(embedder, batch(16, [2, 13]));
    expect(outcomes.flatMap((o, i) => (o.ok ? [] : [i]))).toEqual([2, 13]);
    expect(embedder.calls.length).toBeLessThanOrEqual(1 + 2 * 2 * Math.log2(16));
    outcomes.forEach((o, i) => o.ok && expect(o.vector[0]).toBe(i));
  });

  it('marks every input of an all-poison batch, in 2n − 1 calls', async () => {
    const embedder = fakeEmbedder();
    const outcomes = await embedWithBisect(embedder, batch(16, [...Array(16).keys()]));
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    expect(embedder.calls).toHaveLength(2 * 16 - 1);
  });

  it('handles batches whose size is not a power of two', async () => {
    const embedder = fakeEmbedder();
    const outcomes = await embedWithBisect(embedder, batch(7, [6]));
    expect(outcomes.flatMap((o, i) => (o.ok ? [] : [i]))).toEqual([6]);
  });

  it('treats a bad response (EMBEDDER_BAD_RESPONSE) for an input as poison too', async () => {
    const embedder = fakeEmbedder((texts) =>
      texts.includes('text 3') ? new PipelineError('EMBEDDER_BAD_RESPONSE', 'NaN in embedding') : undefined);
    const outcomes = await embedWithBisect(embedder, batch(8));
    expect(outcomes.flatMap((o, i) => (o.ok ? [] : [i]))).toEqual([3]);
  });

  it('rethrows a retriable error of the first call without bisecting', async () => {
    const outage = new DependencyError('ollama', '503 server busy');
    const embedder = fakeEmbedder(() => outage);
    await expect(embedWithBisect(embedder, batch(16, [4]))).rejects.toBe(outage);
    expect(embedder.calls).toHaveLength(1);
  });

  it('rethrows a retriable error met during bisection, so the whole batch is retried', async () => {
    const timeout = new DependencyError('ollama', 'no answer', undefined, 'DEPENDENCY_TIMEOUT');
    const embedder = fakeEmbedder((_, call) => (call === 3 ? timeout : undefined));
    await expect(embedWithBisect(embedder, batch(16, [1]))).rejects.toBe(timeout);
    expect(embedder.calls).toHaveLength(3);
  });

  it('rethrows configuration errors instead of dead-lettering every input', async () => {
    const missing = new ConfigError('EMBED_MODEL=x: model not found; run `ollama pull x`');
    const embedder = fakeEmbedder(() => missing);
    await expect(embedWithBisect(embedder, batch(16))).rejects.toBe(missing);
    expect(embedder.calls).toHaveLength(1);
  });

  it('rethrows programmer errors unchanged', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    await expect(embedWithBisect(fakeEmbedder(() => bug), batch(4))).rejects.toBe(bug);
  });

  it('treats an embedder that returns the wrong number of vectors as a bad response', async () => {
    const embedder: Embedder = {
      model: 'short', dimension: 1, kind: 'semantic',
      async embed(texts) {
        return texts.filter((t) => t !== 'drop me').map(() => new Float32Array([1]));
      },
    };
    const outcomes = await embedWithBisect(embedder, ['a', 'drop me', 'b']);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
  });

  it('passes the signal to every call', async () => {
    const controller = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const embedder: Embedder = {
      model: 'm', dimension: 1, kind: 'semantic',
      async embed(texts, signal) {
        seen.push(signal);
        if (texts.length > 1) throw new PipelineError('EMBEDDER_REJECTED_INPUT', 'x');
        return [new Float32Array([1])];
      },
    };
    await embedWithBisect(embedder, ['a', 'b'], controller.signal);
    expect(seen).toEqual([controller.signal, controller.signal, controller.signal]);
  });

  it('classifies only non-retriable input codes as input errors', () => {
    expect(isInputError(new PipelineError('EMBEDDER_REJECTED_INPUT', 'x'))).toBe(true);
    expect(isInputError(new PipelineError('EMBEDDER_BAD_RESPONSE', 'x'))).toBe(true);
    expect(isInputError(new PipelineError('EMBEDDER_REJECTED_INPUT', 'x', { retriable: true }))).toBe(false);
    expect(isInputError(new ConfigError('x'))).toBe(false);
    expect(isInputError(new Error('x'))).toBe(false);
  });
});
