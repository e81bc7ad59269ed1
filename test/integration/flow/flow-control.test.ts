/**
 * Adaptive flow control on the running pipeline (four stage processes, real Kafka, real
 * PostgreSQL, the Ollama-API test double): lag-driven pause/resume keeps a slow stage's input
 * bounded, and the priority lane overtakes a backlog. Memory while a backlog drains is a figure
 * of `era-ingest bench` (target backlog-rss), not an assertion here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLag } from '../../../src/kafka/lag-monitor.ts';
import { totalLag } from '../../../src/flow-control/lag.ts';
import { rawRecord } from '../../../src/topics/raw-record.ts';
import { corpusDocument } from '../../helpers/corpus.ts';
import { startPipeline, type TestPipeline } from '../../helpers/pipeline.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const LAG_LIMIT = 300;

describe('flow control on the running pipeline', () => {
  let p: TestPipeline;

  beforeAll(async () => {
    // Only the chunk stage is paced; the others take work as fast as they can.
    p = await startPipeline({
      extraEnv: { DOWNSTREAM_LAG_LIMIT: String(LAG_LIMIT), FLOW_SAMPLE_MS: '200', FLOW_RATE: 'unlimited', EMBED_CONCURRENCY: '1', EMBED_BATCH_SIZE: '16' },
      stageEnv: { chunk: { FLOW_RATE: '100', FLOW_BURST: '20' } },
    });
  }, 240_000);

  afterAll(async () => {
    const codes = await p.stop();
    expect(Object.values(codes).every((c) => c === 0)).toBe(true);
  }, 120_000);

  const embedGroup = (): string => `${p.env.GROUP_PREFIX}.embed`;
  const chunkGroup = (): string => `${p.env.GROUP_PREFIX}.chunk`;

  it('keeps the slow embed stage\'s input lag bounded near its limit, holds the rest upstream, and recovers', async () => {
    p.double.setLatency(150); // one request at a time: ~100 chunks/s, while chunk produces ~300/s
    const docs = Array.from({ length: 600 }, (_, i) => corpusDocument(10_000 + i, 0, 'job-flow-1'));
    const admin = await p.kit.adminClient();
    await p.kit.produce(p.topics.raw, docs.map((d) => rawRecord(d, { nowMs: Date.now() })));
    const storedDocs = (): number => new Set(p.stored.filter((e) => e.jobId === 'job-flow-1').map((e) => e.id)).size;
    // Sample the embed group's lag until a third of the documents are stored: by then embed has
    // taken several hundred chunks at its slow pace, so an unpaced chunk stage would have pushed
    // the whole backlog into era.chunks long before.
    const samples: number[] = [];
    await waitFor(async () => {
      samples.push(totalLag(await measureLag(admin, { groupId: embedGroup(), topic: p.topics.chunks })));
      return storedDocs() >= docs.length / 3;
    }, { timeoutMs: 180_000, intervalMs: 100, what: 'a third of the documents to be stored under the slowdown' });
    const heldUpstream = totalLag(await measureLag(admin, { groupId: chunkGroup(), topic: p.topics.raw }));
    const peak = Math.max(...samples);
    expect(peak, `embed input lag samples: ${samples.join(',')}`).toBeGreaterThan(LAG_LIMIT * 0.5); // the limit was reached
    expect(peak, `embed input lag samples: ${samples.join(',')}`).toBeLessThan(LAG_LIMIT * 2.5); // one sample interval of overshoot
    expect(heldUpstream).toBeGreaterThan(0); // the rest waits in era.raw, not in era.chunks
    p.double.setLatency(0);
    await waitFor(() => storedDocs() === docs.length, { timeoutMs: 120_000, intervalMs: 250, what: 'the backlog to drain after the slowdown' });
  }, 300_000);

  it('completes a priority job published behind a 5,000-document backlog before the backlog', async () => {
    const backlog = Array.from({ length: 5_000 }, (_, i) => ({ id: `bulk-${i}`, text: `Routine notice ${i} about office opening hours and staff rotas.`, jobId: 'job-bulk' }));
    await p.kit.produce(p.topics.raw, backlog.map((d) => rawRecord(d, { nowMs: Date.now() })));
    const urgent = Array.from({ length: 20 }, (_, i) => corpusDocument(20_000 + i, 0, 'job-urgent'));
    await p.kit.produce(p.topics.rawPriority, urgent.map((d) => rawRecord(d, { nowMs: Date.now() })));
    const completedAt = new Map<string, number>();
    await waitFor(() => {
      for (const e of p.stored) if (!completedAt.has(e.id)) completedAt.set(e.id, completedAt.size);
      return backlog.every((d) => completedAt.has(d.id)) && urgent.every((d) => completedAt.has(d.id));
    }, { timeoutMs: 180_000, intervalMs: 100, what: 'both jobs to complete' });
    const lastUrgent = Math.max(...urgent.map((d) => completedAt.get(d.id)!));
    const lastBulk = Math.max(...backlog.map((d) => completedAt.get(d.id)!));
    const bulkBeforeUrgentDone = backlog.filter((d) => completedAt.get(d.id)! < lastUrgent).length;
    expect(lastUrgent).toBeLessThan(lastBulk);
    expect(bulkBeforeUrgentDone).toBeLessThan(backlog.length / 2); // it overtook most of the backlog
  }, 300_000);
});
