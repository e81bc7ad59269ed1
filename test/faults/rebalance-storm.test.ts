/**
 * Fault (f): a rebalance storm. While a corpus is ingested, extra embed and store replicas join
 * and leave their consumer groups again and again (each join or leave is a rebalance of that
 * group). Revoked partitions must never be committed by their former owner; every document is
 * stored exactly once; nothing is dead-lettered.
 */
import { describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, expectStoredExactly, retrySummary, sleep, SOAK, trickle, waitForDrain } from '../helpers/fault-checks.ts';
import { startPipeline } from '../helpers/pipeline.ts';
import { startProcess, type ServiceProcess } from '../helpers/processes.ts';

const DOCS = SOAK ? 1000 : 300;
const ROUNDS = SOAK ? 6 : 3;

describe('fault: rebalance storm', () => {
  it(`stores ${DOCS} documents exactly once while embed and store replicas join and leave ${ROUNDS} times`, async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
    const replicas: ServiceProcess[] = [];
    try {
      p.double.setLatency(30);
      const docs = corpus(DOCS, 0, 'job-rebalance');
      const t0 = Date.now();
      const events: string[] = [];
      const publishing = trickle(p, docs, SOAK ? 60_000 : 20_000);
      const storm = (async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const started = await Promise.all(['embed', 'store'].map(async (name) => {
            const r = startProcess('src/cli/main.ts', ['stage', name], p.env);
            replicas.push(r);
            await r.waitForOutput(`"msg":"stage ${name} started"`, 90_000);
            await r.waitForOutput('"msg":"group joined"', 60_000);
            events.push(`round ${round}: ${name} replica joined at ${Date.now() - t0} ms`);
            return [name, r] as const;
          }));
          await sleep(1_000 + Math.random() * 2_000);
          await Promise.all(started.map(async ([name, r]) => {
            r.kill('SIGTERM');
            const code = await r.exited;
            events.push(`round ${round}: ${name} replica left (exit ${code}) at ${Date.now() - t0} ms`);
            expect(code, r.output().slice(-3000)).toBe(0);
          }));
        }
      })();
      await Promise.all([publishing, storm]);
      const drainMs = await waitForDrain(p, docs, 120_000);
      const joins = [...p.stages.values()].reduce((n, s) => n + (s.output().match(/"msg":"group joined"/g)?.length ?? 0), 0);
      console.log(`[faults/rebalance] ${DOCS} docs; ${ROUNDS} rounds; group joins seen by the main stages: ${joins}; drained ${drainMs} ms after the storm (${Date.now() - t0} ms total); retries: ${retrySummary(p)}\n  ${events.join('\n  ')}`);
      await sleep(1_000);
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      expectStagesRunning(p);
    } finally {
      for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.kill('SIGKILL');
      await p.stop();
    }
  });
});
