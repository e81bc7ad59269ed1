import { afterEach, describe, expect, it, vi } from 'vitest';
import { DependencyError, PipelineError, ValidationError } from '../../../src/errors/pipeline-error.ts';
import { askWhile, backoffDelay, retry } from '../../../src/engine/backoff.ts';
import { DlqLimiter } from '../../../src/engine/dlq-limiter.ts';
import { dlqRecord } from '../../../src/kafka/dlq-record.ts';
import type { InputMessage } from '../../../src/kafka/records.ts';
import { DLQ_HEADERS } from '../../../src/topics/headers.ts';

const fast = { initialMs: 1, maxMs: 4, factor: 2, maxAttempts: Number.POSITIVE_INFINITY, deadlineMs: Number.POSITIVE_INFINITY };

describe('asking while it counts', () => {
  afterEach(() => vi.useRealTimers());

  it('asks again after 200 ms, then 400 ms, until an answer, and reports each failure', async () => {
    vi.useFakeTimers();
    const failures: number[] = [];
    let calls = 0;
    const answer = askWhile(async () => {
      if (++calls < 3) throw new Error('coordinator not available');
      return 'answer';
    }, () => true, (_, attempt) => failures.push(attempt));
    await vi.advanceTimersByTimeAsync(199);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(400);
    await expect(answer).resolves.toBe('answer');
    expect(failures).toEqual([1, 2]);
  });

  it('stops asking once the question no longer counts, with no answer', async () => {
    vi.useFakeTimers();
    let counts = true;
    let calls = 0;
    const answer = askWhile(async () => {
      calls++;
      throw new Error('down');
    }, () => counts);
    await vi.advanceTimersByTimeAsync(200);
    counts = false;
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(answer).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});

describe('retry with backoff', () => {
  it('retries retriable failures until success', async () => {
    let calls = 0;
    const result = await retry(async () => {
      if (++calls < 4) throw new DependencyError('ollama', '503');
      return 'ok';
    }, fast);
    expect(result).toEqual({ value: 'ok', attempts: 4 });
  });

  it('never retries poison or programmer errors', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw new ValidationError('bad'); }, fast)).rejects.toThrow('bad');
    await expect(retry(async () => { calls++; throw new TypeError('bug'); }, fast)).rejects.toThrow('bug');
    expect(calls).toBe(2);
  });

  it('stops with SHUTDOWN when aborted', async () => {
    const controller = new AbortController();
    const pending = retry(async () => { throw new DependencyError('postgres', 'down'); }, { ...fast, initialMs: 10_000, maxMs: 10_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });

  it('stops with SHUTDOWN, the failure as its cause, when the abort comes while an attempt is running', async () => {
    // The race of a server's shutdown: the attempt in flight fails (503) after the signal aborted.
    const controller = new AbortController();
    const failure = new DependencyError('ollama', '503 server busy');
    const pending = retry(async () => {
      controller.abort();
      throw failure;
    }, fast, { signal: controller.signal });
    await expect(pending).rejects.toMatchObject({ code: 'SHUTDOWN', cause: failure });
  });

  describe('with a deadline (RETRY_DEADLINE_MS)', () => {
    afterEach(() => vi.useRealTimers());

    it('gives up once the next wait would pass the deadline, still retriable, naming the setting', async () => {
      vi.useFakeTimers();
      let calls = 0;
      const pending = retry(async () => { calls++; throw new DependencyError('ollama', 'connect ECONNREFUSED'); }, { initialMs: 100, maxMs: 100, factor: 1, maxAttempts: Number.POSITIVE_INFINITY, deadlineMs: 1_000 });
      const settled = pending.catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(5_000);
      const error = await settled;
      expect(error).toBeInstanceOf(PipelineError);
      expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
      expect((error as Error).message).toMatch(/connect ECONNREFUSED .*RETRY_DEADLINE_MS/);
      // Delays of 50–100 ms until 1 s has passed since the first failure: 11 to 21 calls.
      expect(calls).toBeGreaterThanOrEqual(11);
      expect(calls).toBeLessThanOrEqual(21);
    });

    it('succeeds when the dependency comes back before the deadline', async () => {
      vi.useFakeTimers();
      let calls = 0;
      const pending = retry(async () => {
        if (++calls < 5) throw new DependencyError('ollama', '503');
        return 'back';
      }, { initialMs: 100, maxMs: 100, factor: 1, maxAttempts: Number.POSITIVE_INFINITY, deadlineMs: 1_000 });
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(pending).resolves.toEqual({ value: 'back', attempts: 5 });
    });
  });

  it('grows the delay exponentially up to the cap, with jitter', () => {
    const policy = { initialMs: 100, maxMs: 1000, factor: 2, maxAttempts: 10, deadlineMs: Number.POSITIVE_INFINITY };
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
  });
});

describe('dead letters', () => {
  const input = { topic: 'era.raw', partition: 2, offset: '41', key: Buffer.from([0xff, 0x00]), value: Buffer.from('{bad'), headers: { 'era.job': 'job-1' }, timestamp: '1700000000000', ticket: { topic: 'era.raw', partition: 2, offset: '41', bytes: 6 } } satisfies InputMessage;

  it('keeps key and value bytes untouched and adds every error header', () => {
    const record = dlqRecord(input, new PipelineError('UNDECODABLE', 'value is not JSON'), 1, { stage: 'chunk', group: 'era.chunk', dlqTopic: 'era.dlq', nowMs: 1700000001234 });
    expect(record.key).toBe(input.key);
    expect(record.value).toBe(input.value);
    expect(record.headers).toMatchObject({
      'era.job': 'job-1',
      [DLQ_HEADERS.stage]: 'chunk',
      [DLQ_HEADERS.errorCode]: 'UNDECODABLE',
      [DLQ_HEADERS.errorMessage]: 'value is not JSON',
      [DLQ_HEADERS.originalTopic]: 'era.raw',
      [DLQ_HEADERS.originalPartition]: '2',
      [DLQ_HEADERS.originalOffset]: '41',
      [DLQ_HEADERS.originalTimestamp]: '1700000000000',
      [DLQ_HEADERS.consumerGroup]: 'era.chunk',
      [DLQ_HEADERS.attempts]: '1',
      [DLQ_HEADERS.failedAt]: '1700000001234',
    });
    expect(Object.keys(record.headers)).toEqual(expect.arrayContaining(Object.values(DLQ_HEADERS)));
  });

  it('halts only when the poison share of a full window passes the limit', () => {
    const limiter = new DlqLimiter({ maxRatio: 0.3, window: 10 });
    for (let i = 0; i < 9; i++) expect(limiter.record(true)).toBe(false); // window not full yet
    expect(limiter.record(true)).toBe(true);
    const mixed = new DlqLimiter({ maxRatio: 0.3, window: 10 });
    const pattern = [true, false, false, false, true, false, false, true, false, false]; // 30 %
    expect(pattern.map((p) => mixed.record(p)).some(Boolean)).toBe(false);
    expect(mixed.record(true)).toBe(false); // slides out a poison: still 3 of 10
    expect(mixed.record(true)).toBe(true); // slides out a good one: 4 of 10
  });
});
