import { describe, expect, it } from 'vitest';
import { exposureProblem, isLoopback } from '../../../src/api/exposure.ts';

describe('who can reach `serve`', () => {
  it('treats 127.0.0.0/8, ::1 and localhost as this machine only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.org', '128.0.0.1']) expect(isLoopback(host), host).toBe(false);
  });

  it('needs a token beyond loopback, unless authentication is switched off on purpose', () => {
    expect(exposureProblem('127.0.0.1', { apiToken: undefined, apiAuth: 'token' })).toBeUndefined();
    expect(exposureProblem('0.0.0.0', { apiToken: 'x'.repeat(32), apiAuth: 'token' })).toBeUndefined();
    expect(exposureProblem('0.0.0.0', { apiToken: undefined, apiAuth: 'none' })).toBeUndefined();
    expect(exposureProblem('0.0.0.0', { apiToken: undefined, apiAuth: 'token' })).toMatch(/Set API_TOKEN .*API_AUTH=none/);
  });
});
