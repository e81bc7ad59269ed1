/**
 * Who can reach `serve`: on loopback only this machine, so the API may run without a token;
 * on any other address it needs API_TOKEN, unless the operator said API_AUTH=none on purpose.
 */
import { isIP } from 'node:net';
import type { Config } from '../config/schema.ts';

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Why `serve` must not start on `host` with this configuration, or undefined when it may. */
export function exposureProblem(host: string, config: Pick<Config, 'apiToken' | 'apiAuth'>): string | undefined {
  if (isLoopback(host) || config.apiToken !== undefined || config.apiAuth === 'none') return undefined;
  return `serve would listen on ${host} (API_HOST or --host) without authentication: anyone who can reach it could publish and search. ` +
    'Set API_TOKEN (e.g. API_TOKEN=$(openssl rand -hex 32)), or API_AUTH=none to serve without a token on purpose (behind a gateway), or listen on 127.0.0.1.';
}
