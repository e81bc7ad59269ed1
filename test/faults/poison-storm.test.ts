/**
 * Fault (e): a poison storm. 30 % of a burst on era.raw is malformed. With DLQ_MAX_RATIO=0.2
 * and DLQ_WINDOW=50 the chunk stage halts loudly (exit code 1, a "halted" log line) instead
 * of draining its input into the DLQ; with DLQ_MAX_RATIO=0.5 it does not halt, dead-letters
 * exactly the poison and stores every good document.
 */
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { describe, expect, it } from 'vitest';
import { rawRecord } from '../../src/topics/raw-record.ts';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, expectStoredExactly, halfStored, logLines, running, SOAK, sleep, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait-for.ts';

const BURST = SOAK ? 1000 : 200;
const POISON_KINDS = [
  (i: number) => ({ key: `bad-${i}`, value: Buffer.from(`{"id":"bad-${i}","text":`) }), // truncated JSON
  (i: number) => ({ key: `bad-${i}`, value: Buffer.from(JSON.stringify({ id: `bad-${i}` })) }), // no text
  (i: number) => ({ key: `bad-${i}`, value: Buffer.from(JSON.stringify({ id: `other-${i}`, text: 'id differs from the key' })) }),
];

/** The burst: every 10 records, 3 poison (30 %), interleaved with good documents. */
function burst(): { records: Array<{ key: string; value: Buffer | null; headers?: Record<string, string> }>; good: ReturnType<typeof corpus>; poison: number } {
  const good = corpus(BURST * 0.7, 0, 'job-poison');
  const records: Array<{ key: string; value: Buffer | null; headers?: Record<string, string> }> = [];
  let g = 0;
  let poison = 0;
  for (let i = 0; i < BURST; i++) {
    if (i % 10 < 3) {
      records.push(POISON_KINDS[poison % POISON_KINDS.length]!(i));
      poison++;
    } else records.push(rawRecord(good[g++]!, { nowMs: Date.now() }));
  }
  return { records, good, poison };
}

async function run(p: TestPipeline): Promise<ReturnType<typeof burst>> {
  const b = burst();
  // One partition key order is kept by Kafka; produce in one go (a burst).
  await p.kit.produce(p.topics.raw, b.records);
  return b;
}

describe('fault: poison storm on era.raw', () => {
  it('halts the chunk stage loudly (exit 1, "halted") when poison passes DLQ_MAX_RATIO=0.2 over DLQ_WINDOW=50', async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens, stageEnv: { chunk: { DLQ_MAX_RATIO: '0.2', DLQ_WINDOW: '50' } } });
    try {
      const t0 = Date.now();
      const { poison } = await run(p);
      const chunk = p.stages.get('chunk')!;
      const code = await Promise.race([chunk.exited, sleep(60_000).then(() => 'still running')]);
      const haltedAfter = Date.now() - t0;
      const dlq = await dlqCount(p);
      console.log(`[faults/poison] burst ${BURST} (${poison} poison): chunk exited ${code} after ${haltedAfter} ms; ${dlq} dead-lettered before the halt`);
      expect(code, chunk.output().slice(-3000)).toBe(1);
      const halted = logLines(chunk, 'halted');
      expect(halted.length).toBeGreaterThan(0);
      expect(halted[0]).toContain('"level":"fatal"');
      expect(halted[0]).toContain('stage chunk halted');
      expect(halted[0]).toContain('"code":"DLQ_LIMIT_EXCEEDED"');
      // The stage did not drain the burst into the DLQ: far fewer than all poison records.
      expect(dlq).toBeGreaterThan(0);
      expect(dlq).toBeLessThan(poison);
      // What was stored is whole, and the other stages keep running (once they processed what the chunk stage made).
      await waitForGroupsAtEnd(p, { except: ['chunk'] });
      expect(await halfStored(p)).toEqual([]);
      for (const name of PIPELINE.stageNames.filter((n) => n !== 'chunk')) expect(running(p.stages.get(name)), name).toBe(true);
      p.stages.delete('chunk'); // already exited
    } finally {
      await p.stop();
    }
  });

  it('does not halt with DLQ_MAX_RATIO=0.5: exactly the poison is dead-lettered, every good document stored', async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens, stageEnv: { chunk: { DLQ_MAX_RATIO: '0.5', DLQ_WINDOW: '50' } } });
    try {
      const t0 = Date.now();
      const { good, poison } = await run(p);
      await waitForDrain(p, good, 120_000);
      await waitFor(async () => (await dlqCount(p)) >= poison, { timeoutMs: 30_000, what: `${poison} DLQ records` });
      await waitForGroupsAtEnd(p);
      console.log(`[faults/poison] control: burst ${BURST} (${poison} poison, ${good.length} good) drained in ${Date.now() - t0} ms`);
      await expectStoredExactly(p, good);
      expect(await dlqCount(p)).toBe(poison);
      const dead = await p.kit.readAll(p.topics.dlq, poison);
      expect(new Set(dead.map((r) => r.headers['era.dlq.stage']))).toEqual(new Set(['chunk']));
      expect(dead.every((r) => ['UNDECODABLE', 'INVALID_MESSAGE'].includes(r.headers['era.dlq.error.code']!))).toBe(true);
      expect(new Set(dead.map((r) => r.key!.toString()))).toEqual(new Set(Array.from({ length: BURST }, (_, i) => i).filter((i) => i % 10 < 3).map((i) => `bad-${i}`)));
      expectStagesRunning(p);
      expect(logLines(p.stages.get('chunk')!, 'halted')).toEqual([]);
    } finally {
      const codes = await p.stop();
      expect(codes).toEqual({ store: 0, minister: 0, embed: 0, chunk: 0 });
    }
  });
});
