/**
 * Fault (a): every stage process is killed with SIGKILL at random moments, three times each,
 * while a corpus is being ingested, and restarted. At-least-once redelivery plus deterministic
 * ids and upserts must leave exactly the expected rows; nothing goes to the DLQ.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, expectStoredExactly, retrySummary, SOAK, sleep, trickle, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { STAGE_ORDER, startPipeline } from '../helpers/pipeline.ts';
import { descendants } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** Whether `pid` still runs (a zombie waiting to be reaped does not). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const DOCS = SOAK ? 1000 : 300;
const KILLS = SOAK ? 5 : 3;

describe('fault: stage processes killed with SIGKILL', () => {
  it(`stores ${DOCS} documents exactly once while each stage is SIGKILLed ${KILLS} times and restarted`, async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
    try {
      p.double.setLatency(30); // keeps the run in progress while the stages die
      const docs = corpus(DOCS, 0, 'job-kills');
      const t0 = Date.now();
      const killLog: string[] = [];
      const publishing = trickle(p, docs, SOAK ? 60_000 : 20_000);
      // One killer per stage, concurrently: random moment, SIGKILL, restart; KILLS times.
      const killers = STAGE_ORDER.map(async (name) => {
        for (let k = 0; k < KILLS; k++) {
          await sleep(1_000 + Math.random() * 4_000);
          const proc = p.stages.get(name)!;
          const tree = descendants(proc.child.pid!); // tsx's node child: the real service
          expect(tree.length).toBeGreaterThan(0);
          proc.kill('SIGKILL');
          expect(await proc.exited).toBe('SIGKILL');
          // The service itself is dead, not only the tsx wrapper (no orphan keeps consuming).
          await waitFor(() => tree.every((pid) => !alive(pid)), { timeoutMs: 5_000, what: `${name} process tree to die` });
          const at = Date.now() - t0;
          await p.startStage(name);
          killLog.push(`${name} killed at ${at} ms, back at ${Date.now() - t0} ms`);
        }
      });
      await Promise.all([publishing, ...killers]);
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
