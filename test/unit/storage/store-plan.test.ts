import { describe, expect, it } from 'vitest';
import { orderEvents, planBatch, planFlips, type DocState } from '../../../src/storage/store-plan.ts';
import type { DeleteRecord, RoutedChunk } from '../../../src/topics/messages.ts';

const NOW = 99;

function chunk(docId: string, version: number, seq: number, count: number, hash = `h${version}`, extra: Partial<RoutedChunk> = {}): RoutedChunk {
  return {
    kind: 'chunk', docId, version, contentHash: hash, chunkId: `${docId}/${hash}/${seq}`, seq, count,
    text: `t${seq}`, tokenCount: 1, headingPath: [], embedding: new Float32Array([1, 0]), model: 'm',
    ministerId: 'general', category: undefined, routing: { method: 'default' }, jobId: `job-${version}`, ...extra,
  };
}
const del = (docId: string, version: number): DeleteRecord => ({ kind: 'delete', docId, version, jobId: 'jd' });
const state = (entries: Record<string, DocState>) => new Map(Object.entries(entries));
const current = (version: number, contentHash = `h${version}`, chunkCount = 2): DocState => ({ current: { version, contentHash, chunkCount } });

describe('store plan', () => {
  it('deduplicates chunk ids, the last duplicate winning', () => {
    const a = chunk('d', 1, 0, 2);
    const b = { ...a, text: 'later' };
    const plan = planBatch([a, chunk('d', 1, 1, 2), b], state({}), NOW);
    expect(plan.rows.map((r) => r.text)).toEqual(['t1', 'later']);
    expect([...plan.candidates.values()]).toMatchObject([{ docId: 'd', contentHash: 'h1', count: 2 }]);
  });

  it('skips an unchanged document and reports it once, only with its last chunk', () => {
    const s = state({ d: current(1, 'same', 3) });
    const full = [0, 1, 2].map((i) => chunk('d', 5, i, 3, 'same'));
    const plan = planBatch([...full, ...full], s, NOW);
    expect(plan.rows).toEqual([]);
    expect(orderEvents(plan, new Map(), NOW)).toEqual([{ id: 'd', version: 5, chunks: 3, jobId: 'job-5', storedAt: NOW }]);
    expect(orderEvents(planBatch(full.slice(0, 2), s, NOW), new Map(), NOW)).toEqual([]);
  });

  it('advances the current version on a re-publish of unchanged content, so earlier versions can no longer flip', () => {
    // v1 = A is current; v2 = B (published before v3) is pending; v3 = A again.
    const s = state({ d: current(1, 'A', 2) });
    const plan = planBatch([chunk('d', 3, 0, 2, 'A'), chunk('d', 2, 0, 2, 'B'), chunk('d', 2, 1, 2, 'B')], s, NOW);
    expect(plan.docs.get('d')!.advance).toEqual({ version: 3, jobId: 'job-3' });
    expect(plan.docs.get('d')!.after.current).toEqual({ version: 3, contentHash: 'A', chunkCount: 2 });
    expect(plan.rows).toEqual([]); // v2 is stale now: nothing of it is written
    // Even when v2 completes later (a dead letter replayed), it does not flip over v3.
    const late = planBatch([chunk('d', 2, 0, 2, 'B'), chunk('d', 2, 1, 2, 'B')], state({ d: current(3, 'A', 2) }), NOW);
    expect(late.rows).toEqual([]);
    expect(planFlips(late, [{ docId: 'd', contentHash: 'B', stored: 2, version: 2 }], NOW).flips).toEqual([]);
    // A re-publish of the current version itself (a redelivery) advances nothing.
    expect(planBatch([chunk('d', 3, 1, 2, 'A')], state({ d: current(3, 'A', 2) }), NOW).docs.get('d')!.advance).toBeUndefined();
  });

  it('drops chunks of versions not newer than the current one or the last deletion', () => {
    const plan = planBatch([chunk('a', 1, 0, 1), chunk('a', 3, 0, 1), chunk('b', 2, 0, 1), chunk('b', 4, 0, 1)],
      state({ a: current(3, 'other'), b: { tombstone: 2 } }), NOW);
    expect(plan.rows.map((r) => [r.docId, r.version])).toEqual([['b', 4]]);
  });

  it('applies a delete first and keeps only chunks newer than it', () => {
    const items = [chunk('d', 2, 0, 1), del('d', 3), chunk('d', 4, 0, 1, 'h1')];
    const plan = planBatch(items, state({ d: current(1, 'h1') }), NOW);
    const doc = plan.docs.get('d')!;
    expect(doc.apply).toEqual({ version: 3, jobId: 'jd', currentHash: 'h1' });
    expect(doc.after).toEqual({ tombstone: 3 });
    // Same content as before the delete, but the delete made it new again.
    expect(plan.rows.map((r) => r.version)).toEqual([4]);
  });

  it('ignores a delete older than the current version', () => {
    const plan = planBatch([del('d', 1)], state({ d: current(2) }), NOW);
    expect(plan.docs.get('d')!.apply).toBeUndefined();
    expect(orderEvents(plan, new Map(), NOW)).toEqual([]);
  });

  it('flips to the newest complete version and reports every complete one in version order', () => {
    const items = [chunk('d', 2, 0, 1), chunk('d', 3, 0, 2), chunk('d', 3, 1, 2), chunk('d', 4, 0, 2)];
    const plan = planBatch(items, state({ d: current(1) }), NOW);
    const { flips, events } = planFlips(plan, [
      { docId: 'd', contentHash: 'h3', stored: 2, version: 3 },
      { docId: 'd', contentHash: 'h2', stored: 1, version: 2 },
      { docId: 'd', contentHash: 'h4', stored: 1, version: 4 }, // incomplete
    ], NOW);
    expect(flips).toMatchObject([{ docId: 'd', contentHash: 'h3', version: 3, count: 2, previousHash: 'h1' }]);
    expect(events.get('d')!.map((e) => e.version)).toEqual([2, 3]);
  });

  it('orders a deletion before the re-publish that follows it', () => {
    const items = [del('d', 3), chunk('d', 4, 0, 1)];
    const plan = planBatch(items, state({ d: current(1) }), NOW);
    const { flips, events } = planFlips(plan, [{ docId: 'd', contentHash: 'h4', stored: 1, version: 4 }], NOW);
    expect(flips[0]!.previousHash).toBeUndefined();
    expect(orderEvents(plan, events, NOW).map((e) => [e.version, e.deleted ?? false])).toEqual([[3, true], [4, false]]);
  });
});
