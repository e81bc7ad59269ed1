/**
 * Tracing end to end: a document published with the CLI through the four stage processes (real
 * Kafka, real PostgreSQL, the Ollama-API double) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a
 * real Jaeger v2, then read back from Jaeger's query API: one trace holding publish → chunk →
 * embed → minister → store, each the parent of the next, the document id on every span, and an
 * `embed request` span with the batch size. The trace is saved as Jaeger's JSON and as a text
 * waterfall in test-artifacts/tracing/ (the README shows it: the Jaeger built from the Go module
 * carries a placeholder instead of the UI, whose assets are built from the jaeger-ui repository).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { uniqueName } from '../helpers/names.ts';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** Jaeger's query API (`/api/traces`), the fields read here. */
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  /** µs since the epoch, and µs. */
  startTime: number;
  duration: number;
  references: Array<{ refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/tracing/', import.meta.url));

/** The trace as a text waterfall: one line per span, indented by depth, with its start and length. */
function waterfall(trace: JaegerTrace): string {
  const spans = new Map(trace.spans.map((s) => [s.spanID, s]));
  const t0 = Math.min(...trace.spans.map((s) => s.startTime));
  const depth = (s: JaegerSpan): number => {
    const parent = parentOf(s, spans);
    return parent ? depth(parent) + 1 : 0;
  };
  return [...trace.spans].sort((a, b) => a.startTime - b.startTime).map((s) => {
    const name = `${'  '.repeat(depth(s))}${s.operationName} (${trace.processes[s.processID]?.serviceName})`;
    return `${name.padEnd(48)} +${((s.startTime - t0) / 1000).toFixed(1).padStart(7)} ms ${(s.duration / 1000).toFixed(1).padStart(7)} ms`;
  }).join('\n');
}

const tag = (span: JaegerSpan, key: string): unknown => span.tags.find((t) => t.key === key)?.value;
const parentOf = (span: JaegerSpan, spans: Map<string, JaegerSpan>): JaegerSpan | undefined => {
  const ref = span.references.find((r) => r.refType === 'CHILD_OF' && r.traceID === span.traceID);
  return ref && spans.get(ref.spanID);
};

/** The traces holding a span of `service` tagged with the document id. */
async function tracesOf(queryUrl: string, service: string, docId: string): Promise<JaegerTrace[]> {
  const url = new URL('/api/traces', queryUrl);
  url.searchParams.set('service', service);
  url.searchParams.set('tags', JSON.stringify({ 'era.document.id': docId }));
  url.searchParams.set('lookback', '1h');
  url.searchParams.set('limit', '20');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

describe('tracing through the stage processes into Jaeger', () => {
  const { otlpEndpoint, queryUrl } = inject('jaeger');
  let p: TestPipeline;
  let dir: string;

  beforeAll(async () => {
    // Spans leave each process within 200 ms (the batch processor's default is 5 s).
    p = await startPipeline({ extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '200' } });
    dir = mkdtempSync(join(tmpdir(), 'era-trace-'));
  }, 240_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const codes = await p?.stop();
    expect(Object.values(codes ?? {}).every((c) => c === 0)).toBe(true);
  }, 120_000);

  it('finds one trace with publish → chunk → embed → minister → store and the document id', async () => {
    const docId = uniqueName('traced-doc');
    writeFileSync(join(dir, 'doc.jsonl'), `${JSON.stringify({ id: docId, text: 'The treasury cut the deficit and raised income tax thresholds for the coming year.' })}\n`);
    const published = await p.cli(['publish', join(dir, 'doc.jsonl')]);
    expect(published.code, published.output).toBe(0);
    await waitFor(() => p.stored.some((e) => e.id === docId), { timeoutMs: 60_000, what: `era.stored for ${docId}` });

    // The publish span and the declared stages in order, each the child of the one before it.
    const hops = ['publish', ...PIPELINE.stageNames];
    const last = hops.at(-1)!;
    // The store span reaches Jaeger last (after the store's commit and the output's ack).
    const trace = await waitFor(async () => {
      const traces = await tracesOf(queryUrl, 'era-ingest-publish', docId);
      const found = traces.find((t) => t.spans.some((s) => s.operationName === last));
      return found;
    }, { timeoutMs: 60_000, intervalMs: 500, what: `a trace in Jaeger (${queryUrl}) with a store span for ${docId}` });
    const again = await tracesOf(queryUrl, 'era-ingest-publish', docId);
    expect(again.map((t) => t.traceID), 'one trace for the document').toEqual([trace.traceID]);

    const spans = new Map(trace.spans.map((s) => [s.spanID, s]));
    const store = trace.spans.find((s) => s.operationName === last)!;
    const chain: JaegerSpan[] = [];
    for (let s: JaegerSpan | undefined = store; s; s = parentOf(s, spans)) chain.unshift(s);
    expect(chain.map((s) => s.operationName)).toEqual(hops);
    for (const s of chain) expect(tag(s, 'era.document.id'), s.operationName).toBe(docId);
    expect(chain.map((s) => trace.processes[s.processID]?.serviceName)).toEqual(hops.map((name) => `era-ingest-${name}`));

    const request = trace.spans.find((s) => s.operationName === 'embed request');
    expect(request, 'an embed request span').toBeDefined();
    expect(Number(tag(request!, 'era.embed.batch_size'))).toBeGreaterThanOrEqual(1);
    expect(parentOf(request!, spans)?.operationName).toBe('embed');

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'trace.json'), `${JSON.stringify(trace, null, 2)}\n`);
    writeFileSync(join(ARTIFACTS, 'trace.txt'), `${waterfall(trace)}\n`);
  });
});
