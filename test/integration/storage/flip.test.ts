import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/storage/migrate.ts';
import type { PgClient } from '../../../src/storage/pg-client.ts';
import { documentChunks, search } from '../../../src/storage/search.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import type { StoredEvent } from '../../../src/topics/messages.ts';
import { createTestSchema, makeDoc, type TestSchema } from './fixtures.ts';

const DIM = 16;

describe('version flip under concurrency (real PostgreSQL)', () => {
  let schema: TestSchema;
  let writer: PgClient;
  beforeAll(async () => {
    schema = await createTestSchema('flip');
    writer = schema.client(2);
    await migrate(writer, { dimension: DIM });
  });
  afterAll(async () => {
    await schema.drop();
  });

  /**
   * One read of a document: one REPEATABLE READ snapshot of its documents row and *all* its
   * chunk rows (not joined on the current hash, which could only ever show one version), plus
   * what search answers. Returns what a reader must never see: the current version incomplete,
   * chunks of an older version still there, a document gone after its first flip (`seen`), search
   * answering with two versions.
   */
  async function inspect(reader: PgClient, docId: string, countByHash: Map<string, number>, query: Float32Array, seen: { flipped: boolean }): Promise<string[]> {
    const violations: string[] = [];
    const { doc, rows } = await reader.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const { rows: [doc] } = await tx.query<{ version: string; content_hash: string; chunk_count: number }>('SELECT version::text, content_hash, chunk_count FROM documents WHERE doc_id = $1::text', [docId]);
      const { rows } = await tx.query<{ content_hash: string; doc_version: string; n: number }>('SELECT content_hash, doc_version::text, count(*)::int AS n FROM chunks WHERE doc_id = $1::text GROUP BY 1, 2', [docId]);
      return { doc, rows };
    });
    const hits = await search(reader, query, { k: 100 });
    if (!doc) {
      if (seen.flipped) violations.push('no current version after the first flip');
    } else {
      seen.flipped = true;
      const current = rows.filter((r) => r.content_hash === doc.content_hash).reduce((n, r) => n + r.n, 0);
      if (current !== doc.chunk_count || current !== countByHash.get(doc.content_hash)) violations.push(`current version incomplete: ${current} of ${countByHash.get(doc.content_hash)}`);
      for (const r of rows) {
        if (r.content_hash !== doc.content_hash && Number(r.doc_version) <= Number(doc.version)) violations.push(`chunks of an older version ${r.doc_version} still stored beside version ${doc.version}`);
      }
    }
    const hitVersions = new Set(hits.filter((h) => h.docId === docId).map((h) => h.text.split(' ')[1]));
    if (hitVersions.size > 1) violations.push(`search mixed versions ${[...hitVersions].join(',')}`);
    return violations;
  }

  /** Inspects one document in a loop until stopped; collects every violation seen. */
  function watch(reader: PgClient, docId: string, countByHash: Map<string, number>, query: Float32Array) {
    let done = false;
    let reads = 0;
    const seen = { flipped: false };
    const violations: string[] = [];
    const loop = (async () => {
      while (!done) {
        violations.push(...await inspect(reader, docId, countByHash, query, seen));
        reads++;
      }
    })();
    return {
      async stop() {
        done = true;
        await loop;
        return { reads, violations };
      },
    };
  }

  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("replaces a document's chunks atomically while a reader watches", async () => {
    const reader = schema.client(2);
    const docId = 'watched';
    const versions = Array.from({ length: 8 }, (_, i) => makeDoc({ docId, version: i + 1, count: 6 + (i % 4) * 2, dim: DIM }));
    const watcher = watch(reader, docId, new Map(versions.map((v) => [v[0]!.contentHash, v.length])), versions[0]![0]!.embedding);

    const events: StoredEvent[] = [];
    for (const chunks of versions) {
      // Each version arrives in three batches, the middle one first.
      const third = Math.ceil(chunks.length / 3);
      for (const part of [chunks.slice(third, 2 * third), chunks.slice(0, third), chunks.slice(2 * third)]) {
        events.push(...await writeBatch(writer, part, { now: Date.now() }));
        await pause(5);
      }
    }
    const { reads, violations } = await watcher.stop();

    expect(violations).toEqual([]);
    expect(reads).toBeGreaterThan(20);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const final = await documentChunks(reader, docId);
    expect(final.length).toBe(versions.at(-1)!.length);
    expect((await writer.query(`SELECT 1 FROM chunks WHERE doc_id = $1::text`, [docId])).rowCount).toBe(final.length);
  });

  it('control: the same reader catches a replace that is not a flip', async () => {
    const reader = schema.client(2);
    const docId = 'naive';
    const versions = Array.from({ length: 3 }, (_, i) => makeDoc({ docId, version: i + 1, count: 6, dim: DIM }));
    const counts = new Map(versions.map((v) => [v[0]!.contentHash, v.length]));
    const read = () => inspect(reader, docId, counts, versions[0]![0]!.embedding, { flipped: true });
    await writeBatch(writer, versions[0]!, { now: Date.now() });
    expect(await read()).toEqual([]);
    for (const chunks of versions.slice(1)) {
      // Naive replace, statement by statement: delete the old chunks, then store and point at the new.
      await writer.query(`DELETE FROM chunks WHERE doc_id = $1::text`, [docId]);
      expect(await read()).toEqual(['current version incomplete: 0 of 6']);
      await writeBatch(writer, chunks.slice(0, 3), { now: Date.now() });
      await writer.query(`UPDATE documents SET content_hash = $2::text, version = $3::bigint WHERE doc_id = $1::text`,
        [docId, chunks[0]!.contentHash, chunks[0]!.version]);
      expect(await read()).toEqual(['current version incomplete: 3 of 6']);
      await writeBatch(writer, chunks.slice(3), { now: Date.now() });
    }
  });

  it('flips exactly once when two store processes each write half of a version', async () => {
    const a = schema.client(2);
    const b = schema.client(2);
    const docs = Array.from({ length: 20 }, (_, i) => `half-${i}`);
    for (let round = 1; round <= 8; round++) {
      const chunks = docs.map((docId, i) => makeDoc({ docId, version: round, count: 6 + (i % 5), dim: DIM }));
      const evens = chunks.flatMap((c) => c.filter((x) => x.seq % 2 === 0));
      const odds = chunks.toReversed().flatMap((c) => c.filter((x) => x.seq % 2 === 1));
      const [ea, eb] = await Promise.all([
        writeBatch(a, evens, { now: Date.now() }),
        writeBatch(b, odds, { now: Date.now() }),
      ]);
      const all = [...ea, ...eb];
      expect(all.map((e) => e.id).sort()).toEqual([...docs].sort());
      expect(all.every((e) => e.version === round)).toBe(true);
      for (const [i, docId] of docs.entries()) {
        const current = await documentChunks(a, docId);
        expect(current.length).toBe(chunks[i]!.length);
        expect(new Set(current.map((c) => c.version))).toEqual(new Set([round]));
      }
    }
    const stray = await a.query(`SELECT 1 FROM chunks c LEFT JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
      WHERE c.doc_id LIKE 'half-%' AND d.doc_id IS NULL`);
    expect(stray.rowCount).toBe(0);
  });
});
