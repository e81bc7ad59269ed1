import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.ts';

describe('waitFor helper', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
  });
  it('fails with the condition name on timeout', async () => {
    await expect(waitFor(() => false, { timeoutMs: 20, intervalMs: 5, what: 'nothing' })).rejects.toThrow(/nothing/);
  });
});
