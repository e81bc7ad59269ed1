/**
 * Metrics of the HTTP API, declared once here (name, help, unit, fixed label keys) on the
 * injected registry. Label values are bounded: routes are templates, unknown paths are
 * `unmatched`, unknown methods `OTHER`.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

type Names<L extends string> = readonly L[];

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: Names<L>): Counter<L> {
  // Several servers may share one registry (tests): reuse what is registered.
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function createApiMetrics(registry: Registry) {
  const seconds = 'era_api_request_seconds';
  return {
    requests: counter(registry, 'era_api_requests_total', 'HTTP API requests answered, by route template, method and status.', ['route', 'method', 'status'] as const),
    requestSeconds: (registry.getSingleMetric(seconds) as Histogram<'route'> | undefined) ?? new Histogram({
      name: seconds, help: 'Time to answer an HTTP API request.', labelNames: ['route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
    }),
    documentsAccepted: counter(registry, 'era_api_documents_accepted_total', 'Documents published by POST /documents, by lane (normal, high).', ['lane'] as const),
    documentsRejected: counter(registry, 'era_api_documents_rejected_total', 'Documents refused by POST /documents validation, by error code.', ['code'] as const),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A bounded `method` label value. */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'OTHER';
}
