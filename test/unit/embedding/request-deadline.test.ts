// The deadline of one embedding request (src/embedding/request-deadline.ts), with a fake clock.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnswerClock, interruptionError, startRequestDeadline } from '../../../src/embedding/request-deadline.ts';
import { DependencyError } from '../../../src/errors/pipeline-error.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('request deadline', () => {
  it('aborts its signal when the time is up, as a timeout', async () => {
    vi.useFakeTimers();
    const deadline = startRequestDeadline(1_000, [undefined]);
    await vi.advanceTimersByTimeAsync(999);
    expect(deadline.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(deadline).toMatchObject({ timedOut: true, cancelled: false });
    const error = interruptionError(deadline, 'ollama http://h:1', '/api/embed', deadline.signal.reason);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'DEPENDENCY_TIMEOUT', retriable: true, message: 'ollama http://h:1: timed out: no answer to /api/embed within 1000 ms (EMBED_TIMEOUT_MS)' });
  });

  it('aborts when any caller signal aborts, as a cancellation, and the later timer changes nothing', async () => {
    vi.useFakeTimers();
    const caller = new AbortController();
    const lifetime = new AbortController();
    const deadline = startRequestDeadline(1_000, [caller.signal, lifetime.signal]);
    lifetime.abort(new Error('closed'));
    expect(deadline.signal.reason).toEqual(new Error('closed'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(deadline).toMatchObject({ timedOut: false, cancelled: true });
    expect(interruptionError(deadline, 'd', 'op', undefined)).toMatchObject({ code: 'SHUTDOWN', retriable: true });
  });

  it('is cancelled at once when a signal has already aborted', () => {
    const deadline = startRequestDeadline(1_000, [AbortSignal.abort('gone')]);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.cancelled).toBe(true);
    deadline.dispose();
  });

  it('after dispose() neither the timer nor the caller aborts it, and nothing is classified as interrupted', async () => {
    vi.useFakeTimers();
    const caller = new AbortController();
    const deadline = startRequestDeadline(1_000, [caller.signal]);
    deadline.dispose();
    deadline.dispose();
    caller.abort();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(deadline.signal.aborted).toBe(false);
    expect(interruptionError(deadline, 'd', 'op', new Error('503'))).toBeUndefined();
  });

  it('waits on while the server answers other requests, and times out once it answered nothing for the whole time', async () => {
    vi.useFakeTimers();
    const clock = new AnswerClock();
    const deadline = startRequestDeadline(1_000, [undefined], clock);
    await vi.advanceTimersByTimeAsync(900);
    clock.answered(); // another request of this process got its answer: the queue moves
    await vi.advanceTimersByTimeAsync(999);
    expect(deadline.signal.aborted).toBe(false);
    clock.answered();
    await vi.advanceTimersByTimeAsync(999);
    expect(deadline.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(deadline).toMatchObject({ timedOut: true, cancelled: false });
  });

  it('counts only answers after it was sent: an old answer does not extend it', async () => {
    vi.useFakeTimers();
    const clock = new AnswerClock();
    clock.answered();
    await vi.advanceTimersByTimeAsync(500);
    const deadline = startRequestDeadline(1_000, [undefined], clock);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(deadline.timedOut).toBe(true);
  });

  it('gives up a request that requests sent after it overtook, once it is older than the timeout: a server answering in order has lost it', async () => {
    vi.useFakeTimers();
    const clock = new AnswerClock();
    const lost = startRequestDeadline(1_000, [undefined], clock); // sent at 0, never answered
    await vi.advanceTimersByTimeAsync(100);
    const later = startRequestDeadline(1_000, [undefined], clock); // sent at 100
    await vi.advanceTimersByTimeAsync(100);
    clock.answered(later.sentAt);
    later.dispose();
    // The server goes on answering this process's other requests every 300 ms.
    const others = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const other = startRequestDeadline(1_000, [undefined], clock);
        await vi.advanceTimersByTimeAsync(300);
        clock.answered(other.sentAt);
        other.dispose();
      }
    };
    await others(2); // t = 800: overtaken, but younger than the timeout
    expect(lost.signal.aborted).toBe(false);
    await others(5); // t = 2,300: noticed within one more timeout
    expect(lost).toMatchObject({ timedOut: true, cancelled: false });
  });
});
