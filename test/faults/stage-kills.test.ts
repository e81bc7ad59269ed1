/**
 * Fault (a): every stage process is killed with SIGKILL at random moments, three times each,
 * while a corpus is being ingested, and restarted. At-least-once redelivery plus deterministic
 * ids and upserts must leave exactly the expected rows; nothing goes to the DLQ.
 */
import { describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { dlqCount, expectStagesRunning, expectStoredExactly, CHUNKER, killRepeatedly, retrySummary, SOAK, trickle, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { STAGE_ORDER, startPipeline } from '../helpers/pipeline.ts';

const DOCS = SOAK ? 1000 : 300;
const KILLS = SOAK ? 5 : 3;

describe('fault: stage processes killed with SIGKILL', () => {
  it(`stores ${DOCS} documents exactly once while each stage is SIGKILLed ${KILLS} times and restarted`, async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
    try {
      p.double.setLatency(30); // keeps the run in progress while the stages die
      const docs = corpus(DOCS, 0, 'job-kills');
      const t0 = Date.now();
      const publishing = trickle(p, docs, SOAK ? 60_000 : 20_000);
      const [killLog] = await Promise.all([killRepeatedly(p, STAGE_ORDER, KILLS, t0), publishing]);
      const drainMs = await waitForDrain(p, docs);
      console.log(`[faults/kills] ${DOCS} docs; kills: ${killLog.length}; drained ${drainMs} ms after the last restart (${Date.now() - t0} ms total); retries: ${retrySummary(p)}\n  ${killLog.join('\n  ')}`);
      expect(killLog).toHaveLength(KILLS * STAGE_ORDER.length);
      await waitForGroupsAtEnd(p); // late duplicates (redelivery) would show up by then
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      expect(new Set(p.stored.map((e) => e.id)).size).toBe(DOCS);
      expectStagesRunning(p);
    } finally {
      const codes = await p.stop();
      console.log(`[faults/kills] stage exit codes on SIGTERM: ${JSON.stringify(codes)}`);
    }
  });
});
