/**
 * Fault (c): PostgreSQL stops for 20 s in the middle of a run and comes back. The store stage
 * pauses and retries (jittered backoff, partitions paused); nothing is dead-lettered and every
 * stage keeps running. Uses a private PostgreSQL server on its own port (never the shared
 * one), started and stopped by infra/postgres/postgres.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, expectStoredExactly, logLines, retriesByCode, retrySummary, sleep, SOAK, trickle, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { startFaultPostgres, type FaultService } from '../helpers/fault-services.ts';
import { startPipeline } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DOCS = SOAK ? 1000 : 300;
const DOWN_MS = 20_000;

describe('fault: PostgreSQL outage', () => {
  let db: FaultService;
  beforeAll(async () => {
    db = await startFaultPostgres();
  }, 180_000);
  afterAll(async () => {
    await db?.destroy();
  }, 120_000);

  it(`the store stage pauses and retries through a ${DOWN_MS / 1000} s database outage; ${DOCS} documents stored exactly once, nothing dead-lettered`, async () => {
    const p = await startPipeline({ databaseUrl: db.address, chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
    try {
      p.double.setLatency(20);
      const docs = corpus(DOCS, 0, 'job-db');
      // Two thirds before the outage, the rest while the database is down: the store stage then
      // certainly has work it cannot write (however fast it drained the first part).
      const split = Math.floor((DOCS * 2) / 3);
      await trickle(p, docs.slice(0, split), 2_000, 4);
      const { rows: [before] } = await p.sql.query('SELECT count(*)::int AS n FROM documents');
      const outage = db.outage(DOWN_MS);
      await waitFor(() => p.sql.query('SELECT 1').then(() => false, () => true), { timeoutMs: 30_000, intervalMs: 100, what: 'the database to be down' });
      await trickle(p, docs.slice(split), 1_000, 2);
      const outageMs = await outage;
      const back = Date.now();
      expectStagesRunning(p);
      const drainMs = await waitForDrain(p, docs, 120_000);
      const store = p.stages.get('store')!;
      console.log(`[faults/database] ${DOCS} docs (${DOCS - split} published while it was down); stored before outage ${before.n}; database down ${outageMs} ms; drained ${drainMs} ms after it came back; retries: ${retrySummary(p)}`);
      await waitForGroupsAtEnd(p);
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      expectStagesRunning(p);
      // The store stage really saw the outage and retried it (it was not idle).
      expect(Object.values(retriesByCode(store)).reduce((a, b) => a + b, 0), store.output().slice(-3000)).toBeGreaterThan(0);
      expect(logLines(store, 'dead-lettered')).toEqual([]);
    } finally {
      const stages = [...p.stages].map(([name, s]) => `${name}: ${s.output().split('\n').filter((l) => !l.includes('"level":"info"') || /halted|joined|stopped/.test(l)).slice(-6).join('\n')}`).join('\n----\n');
      const codes = await p.stop();
      console.log(`[faults/database] stage exit codes on SIGTERM: ${JSON.stringify(codes)}\n${stages.slice(-5000)}`);
    }
  });
});
