/**
 * DELIVERY=exactly-once against the real broker: the chunk, embed and minister stages (and the
 * store's era.stored events) consume-transform-produce in Kafka transactions, one transactional
 * producer per input partition. SIGKILLed mid-run several times each (a kill lands inside an
 * open transaction: the stages commit one per batch), a read_committed reader of the output
 * topics must see every expected record exactly once — counted per document and chunk id.
 *
 * The second case is the control: the same count in the default at-least-once mode, with the
 * chunk stage killed before it committed anything, finds the duplicates the first case would
 * have caught (the store absorbs them either way).
 */
import { describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectedChunkIds, expectStagesRunning, expectStoredExactly, killAndRestart, killRepeatedly, retrySummary, SOAK, trickle, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import type { ConsumedRecord } from '../helpers/kafka.ts';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { rawRecord } from '../../src/topics/raw-record.ts';

const DOCS = SOAK ? 600 : 200;
const KILLS = SOAK ? 4 : 2;
const KILLED = ['chunk', 'embed', 'minister'] as const;

/** How often each chunk id appears in a topic's records (chunks, embeddings, ministers: JSON values). */
function chunkIdCounts(records: readonly ConsumedRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (!r.value) continue;
    const id = (JSON.parse(r.value.toString()) as { chunkId?: string }).chunkId;
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The chunk ids of `topics` seen more than once, with their counts ("topic chunkId×n"). */
async function repeated(p: TestPipeline, topics: readonly string[]): Promise<{ repeats: string[]; counts: Map<string, Map<string, number>> }> {
  const repeats: string[] = [];
  const counts = new Map<string, Map<string, number>>();
  for (const topic of topics) {
    const perId = chunkIdCounts(await p.kit.readToEnd(topic));
    counts.set(topic, perId);
    for (const [id, n] of perId) if (n > 1) repeats.push(`${topic} ${id}×${n}`);
  }
  return { repeats, counts };
}

describe('fault: exactly-once delivery', () => {
  it(`a read_committed reader sees each chunk once per topic while chunk, embed and minister are SIGKILLed ${KILLS} times each (${DOCS} documents)`, async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens, extraEnv: { DELIVERY: 'exactly-once' } });
    try {
      p.double.setLatency(30); // keeps the run in progress while the stages die
      const docs = corpus(DOCS, 0, 'job-eos');
      const t0 = Date.now();
      const publishing = trickle(p, docs, SOAK ? 40_000 : 15_000);
      const [killLog] = await Promise.all([killRepeatedly(p, KILLED, KILLS, t0), publishing]);
      const drainMs = await waitForDrain(p, docs);
      console.log(`[faults/exactly-once] ${DOCS} docs; kills: ${killLog.length}; drained ${drainMs} ms after the last restart (${Date.now() - t0} ms total); retries: ${retrySummary(p)}\n  ${killLog.join('\n  ')}`);
      // Every group at the end of its input, transaction markers included: nothing more will come.
      await waitForGroupsAtEnd(p);
      const expected = expectedChunkIds(docs);
      const { repeats, counts } = await repeated(p, [p.topics.chunks, p.topics.embeddings, p.topics.ministers]);
      expect(repeats).toEqual([]);
      for (const [topic, perId] of counts) expect(new Set(perId.keys()), topic).toEqual(expected);
      const stored = await p.kit.readToEnd(p.topics.stored);
      expect(stored.map((r) => r.key!.toString()).sort()).toEqual(docs.map((d) => d.id).sort());
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      expectStagesRunning(p);
    } finally {
      await p.stop();
    }
  });

  it('the same count finds the duplicates of the at-least-once mode after a SIGKILL', async () => {
    // The chunk stage commits only on shutdown: a SIGKILL after it produced anything repeats it all.
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens, stageEnv: { chunk: { COMMIT_INTERVAL_MS: '600000' } } });
    try {
      p.double.setLatency(30);
      const docs = corpus(60, 0, 'job-alo');
      await p.kit.produce(p.topics.raw, docs.map((d) => rawRecord(d, { nowMs: Date.now() })));
      const beforeKill = await waitFor(async () => {
        const n = await p.kit.count(p.topics.chunks);
        return n >= 20 ? n : false;
      }, { what: 'the chunk stage to produce 20 chunks' });
      await killAndRestart(p, 'chunk', Date.now());
      await waitForDrain(p, docs);
      const expected = expectedChunkIds(docs);
      await waitFor(async () => (await p.kit.count(p.topics.chunks)) >= expected.size + beforeKill, { what: 'the restarted chunk stage to chunk every document again' });
      const { repeats, counts } = await repeated(p, [p.topics.chunks]);
      expect(repeats.length).toBeGreaterThanOrEqual(beforeKill);
      expect(new Set(counts.get(p.topics.chunks)!.keys())).toEqual(expected);
      await expectStoredExactly(p, docs); // the store's upserts absorb them
    } finally {
      await p.stop();
    }
  });
});
