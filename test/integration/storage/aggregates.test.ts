import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/storage/migrate.ts';
import { readMinisterAggregates, upsertMinisterProfiles } from '../../../src/storage/ministers.ts';
import type { PgClient } from '../../../src/storage/pg-client.ts';
import type { SqlClient } from '../../../src/storage/sql-client.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { fromVectorText } from '../../../src/storage/vector-text.ts';
import type { MinistersValue } from '../../../src/topics/messages.ts';
import { createTestSchema, deleteOf, makeDoc, type TestSchema } from './fixtures.ts';

const DIM = 12;
const MINISTERS = ['defence', 'finance', 'health'];
const CATEGORIES = ['budget', 'tax', undefined];

/** Aggregates recomputed from scratch over the current chunks. */
async function recompute(db: SqlClient) {
  const m = await db.query<{ minister_id: string; n: string; centroid: string }>(
    `SELECT c.minister_id, count(*) AS n, avg(c.embedding)::text AS centroid
     FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash GROUP BY 1`);
  const cats = await db.query<{ minister_id: string; category: string; n: string }>(
    `SELECT c.minister_id, c.category, count(*) AS n
     FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     WHERE c.category IS NOT NULL GROUP BY 1, 2`);
  return new Map(m.rows.map((r) => [r.minister_id, {
    entryCount: Number(r.n),
    centroid: fromVectorText(r.centroid),
    categories: Object.fromEntries(cats.rows.filter((c) => c.minister_id === r.minister_id).map((c) => [c.category, Number(c.n)])),
  }]));
}

async function expectAggregatesMatch(db: SqlClient): Promise<void> {
  const expected = await recompute(db);
  for (const a of await readMinisterAggregates(db)) {
    const e = expected.get(a.ministerId);
    expect({ id: a.ministerId, n: a.entryCount, cats: a.categories }).toEqual({ id: a.ministerId, n: e?.entryCount ?? 0, cats: e?.categories ?? {} });
    if (!e) {
      expect(a.centroid).toBeNull();
      continue;
    }
    expect(a.centroid).not.toBeNull();
    a.centroid!.forEach((x, i) => expect(x).toBeCloseTo(e.centroid[i]!, 4));
  }
}

describe('minister aggregates (real PostgreSQL)', () => {
  let schema: TestSchema;
  let a: PgClient;
  let b: PgClient;
  beforeAll(async () => {
    schema = await createTestSchema('aggregates');
    a = schema.client(2);
    b = schema.client(2);
    await migrate(a, { dimension: DIM });
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('keeps profiles apart from aggregates and creates unknown ministers on first use', async () => {
    await upsertMinisterProfiles(a, [{ id: 'finance', name: 'Ministry of Finance', description: 'money' }]);
    await writeBatch(a, makeDoc({ docId: 'p1', version: 1, count: 3, dim: DIM, minister: (s) => (s === 0 ? 'finance' : 'culture'), category: 'budget' }), { now: 1 });
    await upsertMinisterProfiles(a, [{ id: 'finance', name: 'Finance', description: 'public money' }]);
    const all = await readMinisterAggregates(a);
    expect(all.find((m) => m.ministerId === 'finance')).toMatchObject({ name: 'Finance', description: 'public money', entryCount: 1, categories: { budget: 1 } });
    expect(all.find((m) => m.ministerId === 'culture')).toMatchObject({ name: 'culture', entryCount: 2, categories: { budget: 2 } });
    await writeBatch(a, [deleteOf('p1', 2)], { now: 2 });
    const after = await readMinisterAggregates(a);
    expect(after.find((m) => m.ministerId === 'culture')).toMatchObject({ entryCount: 0, centroid: null, categories: {} });
    expect(after.find((m) => m.ministerId === 'finance')).toMatchObject({ name: 'Finance', entryCount: 0, centroid: null });
  });

  it('equal a from-scratch recomputation after a random sequence of writes, replaces and deletes by two writers', async () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const docs = Array.from({ length: 12 }, (_, i) => `agg-${i}`);
    const published = new Map<string, { version: number; content: string; count: number }>();
    let clock = 1000;
    const stats = { deleted: 0, current: 0, other: 0 };
    for (let round = 0; round < 12; round++) {
      const items: MinistersValue[] = [];
      for (let op = 0; op < 8; op++) {
        const docId = docs[rand(docs.length)]!;
        const last = published.get(docId);
        const kind = rand(10);
        if (kind < 6 || !last) {
          const count = 1 + rand(7);
          const content = `c${rand(4)}`; // small alphabet: unchanged re-publishes happen
          const version = ++clock;
          published.set(docId, { version, content, count });
          items.push(...makeDoc({ docId, version, content, count, dim: DIM,
            minister: (s) => MINISTERS[(s + rand(3)) % 3]!, category: (s) => CATEGORIES[(s * 7 + version) % 3] }));
        } else if (kind < 8) {
          items.push(deleteOf(docId, ++clock));
        } else {
          // A late older version.
          items.push(...makeDoc({ docId, version: last.version - 1 - rand(5), content: `old${rand(3)}`, count: 2, dim: DIM, minister: 'health' }));
        }
      }
      // Cut into batches and write pairs of them concurrently with two clients.
      const batches: MinistersValue[][] = [];
      for (let i = 0; i < items.length;) {
        const size = 1 + rand(12);
        batches.push(items.slice(i, i + size));
        i += size;
      }
      for (let i = 0; i < batches.length; i += 2) {
        const results = await Promise.all([
          writeBatch(a, batches[i]!, { now: clock }),
          batches[i + 1] ? writeBatch(b, batches[i + 1]!, { now: clock }) : Promise.resolve([]),
        ]);
        for (const e of results.flat()) stats[e.deleted ? 'deleted' : published.get(e.id)?.version === e.version ? 'current' : 'other']++;
      }
      await expectAggregatesMatch(a);
    }
    // The sequence exercised every path (flips, deletes, unchanged re-publishes).
    expect(stats.deleted).toBeGreaterThan(3);
    expect(stats.current).toBeGreaterThan(20);
    const total = await a.query<{ n: string }>(`SELECT sum(entry_count) AS n FROM ministers`);
    expect(Number(total.rows[0]!.n)).toBeGreaterThan(0);
  });
});
