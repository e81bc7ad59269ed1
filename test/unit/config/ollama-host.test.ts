/**
 * OLLAMA_HOST takes every form Ollama itself accepts (host, host:port, :port, no scheme,
 * http(s)://host:port/path, 0.0.0.0) and becomes one URL per entry in the configuration; a value
 * no form fits is refused naming OLLAMA_HOST, the entry and why.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { parseOllamaHost } from '../../../src/config/ollama-host.ts';

const hosts = (value: string): string[] => loadConfig({ OLLAMA_HOST: value }).ollamaHost;

describe('OLLAMA_HOST', () => {
  it.each([
    ['localhost:11434', 'http://localhost:11434'],
    ['gpu1', 'http://gpu1:11434'],
    ['gpu1:8080', 'http://gpu1:8080'],
    [':8080', 'http://127.0.0.1:8080'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:11500', 'http://127.0.0.1:11500'],
    ['[::1]', 'http://[::1]:11434'],
    ['::1', 'http://[::1]:11434'],
    ['[::]:11434', 'http://[::1]:11434'],
    ['http://127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['http://gpu1', 'http://gpu1:80'],
    ['https://gpu1', 'https://gpu1:443'],
    ['https://proxy.example/ollama/', 'https://proxy.example:443/ollama'],
    ['HTTP://GPU1:1234/', 'http://gpu1:1234'],
    ['  gpu1:1  ', 'http://gpu1:1'],
  ])('reads %j as %s, as Ollama does', (value, url) => {
    expect(parseOllamaHost(value)).toEqual({ url });
    expect(hosts(value)).toEqual([url]);
  });

  it('reads a comma list of any of these forms', () => {
    expect(hosts('gpu1, :11500,http://gpu2:11434')).toEqual(['http://gpu1:11434', 'http://127.0.0.1:11500', 'http://gpu2:11434']);
  });

  it.each([
    ['gpu1:abc', /"gpu1:abc": its port "abc" is not a number/],
    ['gpu1:99999', /"gpu1:99999": its port 99999 is out of range \(1 to 65535\)/],
    ['http://gpu1:0', /"http:\/\/gpu1:0": its port 0 is out of range/],
    ['ftp://gpu1:11434', /"ftp:\/\/gpu1:11434": the scheme "ftp" is not http or https/],
    ['gpu 1', /"gpu 1": it is not a host, host:port or http\(s\) URL/],
  ])('refuses %j naming OLLAMA_HOST, the entry and why', (value, why) => {
    let message = '';
    try {
      hosts(value);
      expect.unreachable();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`OLLAMA_HOST=${JSON.stringify(value)} is invalid (`);
    expect(message).toMatch(why);
  });

  it('refuses a list without a host', () => {
    expect(() => hosts(' , ')).toThrowError(/OLLAMA_HOST=" , " is invalid \(expected at least one host\)/);
  });
});
