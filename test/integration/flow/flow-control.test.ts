/**
 * Adaptive flow control on the running pipeline (four stage processes, real Kafka, real
 * PostgreSQL, the Ollama-API test double): lag-driven pause/resume keeps a slow stage's input
 * bounded, the priority lane overtakes a backlog, and memory stays bounded while draining.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLag } from '../../../src/kafka/lag-monitor.ts';
import { totalLag } from '../../../src/flow-control/lag.ts';
import { rawRecord } from '../../../src/topics/raw-record.ts';
import { corpusDocument } from '../../helpers/corpus.ts';
import { startPipeline, type TestPipeline } from '../../helpers/pipeline.ts';
import { memoryOf, processTree } from '../../helpers/proc-stats.ts';
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

  it('keeps the slow embed stage\'s input lag bounded near its limit, and recovers', async () => {
    p.double.setLatency(150); // one request at a time: ~100 chunks/s
    const docs = Array.from({ length: 600 }, (_, i) => corpusDocument(10_000 + i, 0, 'job-flow-1'));
    const admin = await p.kit.adminClient();
    await p.kit.produce(p.topics.raw, docs.map((d) => rawRecord(d, { nowMs: Date.now() })));
    let peak = 0;
    const started = Date.now();
    while (Date.now() - started < 8_000) {
      peak = Math.max(peak, totalLag(await measureLag(admin, { groupId: embedGroup(), topic: p.topics.chunks })));
      await new Promise((r) => setTimeout(r, 100));
    }
    const produced = (await p.kit.count(p.topics.chunks));
    const stored = new Set(p.stored.filter((e) => e.jobId === 'job-flow-1').map((e) => e.id)).size;
    expect(stored).toBeLessThan(docs.length); // still draining: the slowdown is real
    // Bounded near the limit (one sample interval of overshoot), far below what was pending.
    expect(peak).toBeGreaterThan(LAG_LIMIT * 0.5);
    expect(peak).toBeLessThan(LAG_LIMIT * 2.5);
    expect(produced).toBeLessThan(docs.length * 3);
    p.double.setLatency(0);
    await waitFor(() => new Set(p.stored.filter((e) => e.jobId === 'job-flow-1').map((e) => e.id)).size === docs.length, { timeoutMs: 120_000, intervalMs: 250, what: 'the backlog to drain after the slowdown' });
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

  it('keeps every stage\'s memory bounded while a backlog drains', async () => {
    const docs = Array.from({ length: 2_000 }, (_, i) => corpusDocument(30_000 + i, 0, 'job-mem'));
    await p.kit.produce(p.topics.raw, docs.map((d) => rawRecord(d, { nowMs: Date.now() })));
    await waitFor(() => new Set(p.stored.filter((e) => e.jobId === 'job-mem').map((e) => e.id)).size === docs.length, { timeoutMs: 180_000, intervalMs: 250, what: 'the backlog to drain' });
    for (const [name, stage] of p.stages) {
      const peak = Math.max(...processTree(stage.child.pid!).map((pid) => memoryOf(pid).peakRss));
      expect(peak, `${name} peak RSS ${Math.round(peak / 2 ** 20)} MiB`).toBeLessThan(400 * 2 ** 20);
    }
  }, 300_000);
});
