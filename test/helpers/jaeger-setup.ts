/**
 * Vitest global setup for the `tracing` project: a real Jaeger v2 receiving OTLP and serving its
 * query API (infra/jaeger/jaeger.sh, built into the per-user cache on first use).
 *
 * When both OTEL_EXPORTER_OTLP_ENDPOINT and JAEGER_QUERY_URL are set (docker compose, a CI
 * service) they are used as they are; otherwise a running instance is reused, or the script
 * starts one and teardown stops it. Tests read the addresses with `inject('jaeger')`; they are
 * not put into the environment, so only the processes a tracing test starts send spans.
 */
import type { TestProject } from 'vitest/node';
import { serviceScriptLines } from './service-script.ts';

export interface JaegerAddresses {
  /** OTLP over HTTP: what OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  otlpEndpoint: string;
  /** Query API and UI (`/api/traces`, `/api/services`). */
  queryUrl: string;
}

/** The `KEY=value` lines jaeger.sh prints. */
function parse(lines: readonly string[]): JaegerAddresses {
  const vars = new Map(lines.map((l) => l.split('=', 2) as [string, string]));
  const otlpEndpoint = vars.get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const queryUrl = vars.get('JAEGER_QUERY_URL');
  if (!otlpEndpoint || !queryUrl) throw new Error(`infra/jaeger/jaeger.sh printed no addresses: ${lines.join(' | ')}`);
  return { otlpEndpoint, queryUrl };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, JAEGER_QUERY_URL: query } = process.env;
  let started = false;
  let addresses: JaegerAddresses;
  if (otlp && query) addresses = { otlpEndpoint: otlp, queryUrl: query };
  else {
    const running = await serviceScriptLines('jaeger/jaeger.sh', 'status');
    if (running) addresses = parse(running);
    else {
      addresses = parse((await serviceScriptLines('jaeger/jaeger.sh', 'start')) ?? []);
      started = true;
    }
  }
  project.provide('jaeger', addresses);
  return async () => {
    if (started) await serviceScriptLines('jaeger/jaeger.sh', 'stop');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    jaeger: JaegerAddresses;
  }
}
