/**
 * Fault (d): the embedder (the Ollama-API test double) answers 503 "server busy" for 20 s,
 * then answers at ten times its normal latency, then recovers. The embed stage retries with
 * backoff and adapts; nothing is dead-lettered, every document is stored exactly once.
 */
import { describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, expectStoredExactly, retriesByCode, retrySummary, sleep, SOAK, trickle, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { startPipeline } from '../helpers/pipeline.ts';

const DOCS = SOAK ? 1000 : 300;
const BASE_LATENCY_MS = 10;

describe('fault: embedder outage and slowdown', () => {
  it(`survives 20 s of 503s, then 10× latency, then recovery; ${DOCS} documents stored exactly once`, async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
    try {
      p.double.setLatency(BASE_LATENCY_MS);
      const docs = corpus(DOCS, 0, 'job-embedder');
      const t0 = Date.now();
      const publishing = trickle(p, docs, 15_000, 15);
      await sleep(2_000);
      const { rows: [before] } = await p.sql.query('SELECT count(*)::int AS n FROM documents');
      const callsBefore = p.double.calls;
      p.double.failFor(20_000, 503);
      await sleep(20_000);
      const failedCalls = p.double.calls - callsBefore;
      const { rows: [afterOutage] } = await p.sql.query('SELECT count(*)::int AS n FROM documents');
      p.double.setLatency(BASE_LATENCY_MS * 10);
      await sleep(10_000);
      p.double.setLatency(BASE_LATENCY_MS);
      const recovered = Date.now();
      await publishing;
      const drainMs = await waitForDrain(p, docs, 120_000);
      const embed = p.stages.get('embed')!;
      console.log(`[faults/embedder] ${DOCS} docs; stored before the 503s ${before.n}, after 20 s of 503s ${afterOutage.n}; requests answered 503: ${failedCalls}; drained ${drainMs} ms after latency recovered (${Date.now() - t0} ms total); retries: ${retrySummary(p)}`);
      expect(failedCalls).toBeGreaterThan(0); // the outage hit real requests
      expect(Object.values(retriesByCode(embed)).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      await waitForGroupsAtEnd(p);
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      expectStagesRunning(p);
    } finally {
      const codes = await p.stop();
      console.log(`[faults/embedder] stage exit codes on SIGTERM: ${JSON.stringify(codes)}`);
    }
  });
});
