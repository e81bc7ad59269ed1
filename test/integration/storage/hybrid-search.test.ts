/**
 * Text and hybrid search with filters, on the real PostgreSQL and on PGlite alike: the same
 * corpus, the same assertions. Vectors are deterministic unit vectors (fixtures.ts), so which
 * chunk is nearest to a query vector is known exactly and a case where vector search misses
 * what text search finds is built, not hoped for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hybridSearch, searchByMode, SEARCH_MODES } from '../../../src/storage/hybrid-search.ts';
import { migrate } from '../../../src/storage/migrate.ts';
import { registerModel, setModelState, writeModelVectors } from '../../../src/storage/model-vectors.ts';
import { createPgliteClient } from '../../../src/storage/pglite-client.ts';
import { fuseRanks } from '../../../src/storage/rank-fusion.ts';
import { search, type SearchHit } from '../../../src/storage/search.ts';
import type { SqlClient } from '../../../src/storage/sql-client.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import { textSearch } from '../../../src/storage/text-search.ts';
import type { RoutedChunk } from '../../../src/topics/messages.ts';
import { createTestSchema, makeDoc, unitVector, type TestSchema } from './fixtures.ts';

const DIM = 16;
const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

interface Spec {
  docId: string;
  texts: string[];
  minister: string;
  category?: string;
  source: string;
  metadata: Record<string, unknown>;
  version?: number;
  content?: string;
  count?: number;
}

/** One document version's chunks with the given texts, source and metadata. */
function doc(spec: Spec): RoutedChunk[] {
  const chunks = makeDoc({
    docId: spec.docId, version: spec.version ?? 1, count: spec.count ?? spec.texts.length, dim: DIM, minister: spec.minister,
    ...(spec.category ? { category: spec.category } : {}), ...(spec.content ? { content: spec.content } : {}),
  });
  return chunks.map((c, i) => ({ ...c, text: spec.texts[i] ?? c.text, source: spec.source, metadata: spec.metadata, headingPath: [spec.docId, `part ${i}`] }));
}

const CORPUS: Spec[] = [
  {
    docId: 'incident', minister: 'justice', category: 'operations', source: 'file:///kb/ops/incident.md', metadata: { type: 'incident', year: 2026 },
    texts: ['The store stage failed with error ERA-7731 while it wrote a batch.', 'Operators restarted the service within the hour.'],
  },
  {
    docId: 'budget', minister: 'finance', category: 'budget', source: 'file:///kb/finance/budget.md', metadata: { type: 'report', year: 2026, tags: ['fiscal', 'annual'] },
    texts: ['The budget deficit narrowed to 3.1 per cent of national income.', 'Spending on schools rose in real terms.'],
  },
  {
    docId: 'hospital', minister: 'health', category: 'hospitals', source: 'https://health.example/hospital', metadata: { type: 'report', year: 2025 },
    texts: ['Waiting lists fell for the third month in a row.', 'The budget for hospital repairs doubled this year.'],
  },
  ...Array.from({ length: 24 }, (_, i): Spec => ({
    docId: `note-${i}`, minister: i % 2 ? 'finance' : 'health', source: `file:///kb/notes/${i}.md`, metadata: { type: 'note' },
    texts: [`Note ${i} about parks, weather and the local library.`],
  })),
];

const clients: Array<[string, () => Promise<{ client: SqlClient; close(): Promise<void> }>]> = [
  ['PostgreSQL', async () => {
    const schema: TestSchema = await createTestSchema('hybrid');
    return { client: schema.client(2), close: () => schema.drop() };
  }],
  ['PGlite', async () => {
    const lite = await createPgliteClient();
    return { client: lite, close: () => lite.close() };
  }],
];

describe.each(clients)('text and hybrid search with filters (%s)', (_name, open) => {
  let db: SqlClient;
  let close: () => Promise<void>;
  const chunks = CORPUS.flatMap(doc);
  const chunk = (docId: string, seq: number): RoutedChunk => chunks.find((c) => c.docId === docId && c.seq === seq)!;
  const ids = (hits: SearchHit[]): string[] => hits.map((h) => h.chunkId);

  beforeAll(async () => {
    ({ client: db, close } = await open());
    await migrate(db, { dimension: DIM });
    await writeBatch(db, chunks, { now: 1 });
  });
  afterAll(async () => {
    await close();
  });

  it('text search finds an exact identifier that vector search misses', async () => {
    const target = chunk('incident', 0);
    // The query vector is the budget chunk's own: the identifier's chunk is far from it.
    const vector = chunk('budget', 0).embedding;
    const exactRank = [...chunks].sort((a, b) => cosine(b.embedding, vector) - cosine(a.embedding, vector)).findIndex((c) => c.chunkId === target.chunkId) + 1;
    expect(exactRank).toBeGreaterThan(5); // the control: by meaning, it is not among the first five
    expect(ids(await search(db, vector, { k: 5 }))).not.toContain(target.chunkId);

    const text = await textSearch(db, 'what does ERA-7731 mean', { k: 5 });
    expect(ids(text)[0]).toBe(target.chunkId);
    const hybrid = await hybridSearch(db, { text: 'what does ERA-7731 mean', vector }, { k: 5 });
    expect(ids(hybrid)).toContain(target.chunkId);
    const found = hybrid.find((h) => h.chunkId === target.chunkId)!;
    expect(found.ranks.text).toBe(1);
    expect(found.ranks.vector ?? Infinity).toBeGreaterThan(5);
  });

  it('matches a quoted phrase as a phrase and ignores a query of stop words', async () => {
    expect(ids(await textSearch(db, '"hospital repairs"'))).toEqual([chunk('hospital', 1).chunkId]);
    expect(await textSearch(db, '"repairs hospital"')).toEqual([]);
    expect(await textSearch(db, 'the of and')).toEqual([]);
    // Stemming (english): "narrowing deficits" finds "deficit narrowed".
    expect(ids(await textSearch(db, 'narrowing deficits'))).toEqual([chunk('budget', 0).chunkId]);
  });

  it('hybrid ranks by reciprocal rank fusion: a chunk both searches found comes before chunks only one found', async () => {
    const vector = chunk('budget', 0).embedding;
    const query = 'budget hospital';
    const [byVector, byText, hybrid] = await Promise.all([
      search(db, vector, { k: 50 }), textSearch(db, query, { k: 50 }), hybridSearch(db, { text: query, vector }, { k: 10 }),
    ]);
    // The controls: each search alone puts another chunk first, or misses one the other finds.
    expect(ids(byText)[0]).toBe(chunk('hospital', 1).chunkId); // both words
    expect(ids(byVector)[0]).toBe(chunk('budget', 0).chunkId);
    expect(hybrid[0]).toMatchObject({ chunkId: chunk('budget', 0).chunkId, ranks: { vector: 1, text: 2 }, similarity: expect.closeTo(1, 5) });
    expect(hybrid[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 10);
    expect(hybrid[0]!.textScore).toBeGreaterThan(0);
    const fused = fuseRanks([{ keys: ids(byVector) }, { keys: ids(byText) }]).slice(0, 10);
    expect(ids(hybrid)).toEqual(fused.map((f) => f.key));
    hybrid.forEach((h, i) => expect(h.score).toBeCloseTo(fused[i]!.score, 12));
  });

  it('returns source, metadata, heading path and the matched passage', async () => {
    const [hit] = await textSearch(db, 'ERA-7731', { k: 1 });
    expect(hit).toMatchObject({
      docId: 'incident', source: 'file:///kb/ops/incident.md', metadata: { type: 'incident', year: 2026 }, headingPath: ['incident', 'part 0'],
      ministerId: 'justice', category: 'operations', text: chunk('incident', 0).text, title: chunk('incident', 0).title,
    });
    // The text search's snippet marks the matched words (an identifier's parts as one).
    expect(hit!.passage).toContain('«ERA-7731»');
    const [near] = await search(db, chunk('hospital', 0).embedding, { k: 1 });
    expect(near).toMatchObject({ docId: 'hospital', source: 'https://health.example/hospital', metadata: { type: 'report', year: 2025 }, headingPath: ['hospital', 'part 0'] });
    // Found by meaning alone: the passage is the chunk.
    expect(near!.passage).toBe(chunk('hospital', 0).text);
    const [fused] = await hybridSearch(db, { text: 'ERA-7731', vector: chunk('incident', 0).embedding }, { k: 1 });
    expect(fused).toMatchObject({ chunkId: chunk('incident', 0).chunkId, ranks: { vector: 1, text: 1 }, passage: hit!.passage, source: hit!.source, metadata: hit!.metadata });
  });

  describe.each(SEARCH_MODES)('filters in %s mode', (mode) => {
    const query = { text: 'budget hospital waiting lists parks report', vector: chunk('note-3', 0).embedding };
    const run = (filters: Parameters<typeof searchByMode>[3]) => searchByMode(db, mode, query, { k: 40, ...filters });

    it('by minister and category', async () => {
      const all = await run({});
      expect(new Set(all.map((h) => h.ministerId)).size).toBeGreaterThan(1); // the control
      const health = await run({ minister: 'health' });
      expect(health.length).toBeGreaterThan(0);
      expect(health.every((h) => h.ministerId === 'health')).toBe(true);
      const budget = await run({ category: 'budget' });
      // (Both budget chunks match the text too: their heading path holds "budget".)
      expect(budget.map((h) => h.docId)).toEqual(['budget', 'budget']);
    });

    it('by source prefix', async () => {
      const all = await run({});
      expect(all.some((h) => !h.source!.startsWith('file:///kb/'))).toBe(true); // the control
      const kb = await run({ sourcePrefix: 'file:///kb/' });
      expect(kb.length).toBeGreaterThan(0);
      expect(kb.every((h) => h.source!.startsWith('file:///kb/'))).toBe(true);
      // A prefix, not a pattern: % and _ are plain characters.
      expect(await run({ sourcePrefix: 'file:///kb/%' })).toEqual([]);
      expect(new Set((await run({ sourcePrefix: 'https://health.example/' })).map((h) => h.docId))).toEqual(new Set(['hospital']));
    });

    it('by metadata containment', async () => {
      const reports = await run({ metadata: { type: 'report' } });
      expect(new Set(reports.map((h) => h.docId))).toEqual(new Set(['budget', 'hospital']));
      expect(new Set((await run({ metadata: { type: 'report', year: 2026 } })).map((h) => h.docId))).toEqual(new Set(['budget']));
      expect(new Set((await run({ metadata: { tags: ['annual'] } })).map((h) => h.docId))).toEqual(new Set(['budget']));
      expect(await run({ metadata: { type: 'report', year: 2024 } })).toEqual([]);
      // Together with the other filters.
      expect(await run({ metadata: { type: 'report' }, minister: 'justice' })).toEqual([]);
    });
  });

  it('never finds a chunk of a pending version, and finds the current one meanwhile', async () => {
    const pending = doc({ ...CORPUS[0]!, version: 2, content: 'v2', count: 3, texts: ['ZEBRA-42 replaced the old error.', 'Second part.', 'Third part.'] }).slice(0, 2);
    await writeBatch(db, pending, { now: 2 });
    expect(await textSearch(db, 'ZEBRA-42')).toEqual([]);
    expect(ids(await textSearch(db, 'ERA-7731'))).toEqual([chunk('incident', 0).chunkId]);
  });

  it('searches a re-embedded set of another dimension in hybrid mode, with filters', async () => {
    const wide = 24;
    await registerModel(db, 'wide-model', wide, 'group');
    const current = chunks.filter((c) => c.docId !== 'incident' || c.version === 1);
    await writeModelVectors(db, 'wide-model', current.map((c, i) => ({ chunkId: c.chunkId, embedding: unitVector(wide, 5000 + i) })));
    await setModelState(db, 'wide-model', 'ready');
    const target = current.findIndex((c) => c.docId === 'hospital' && c.seq === 0);
    const vector = unitVector(wide, 5000 + target);
    const hits = await hybridSearch(db, { text: 'ERA-7731', vector }, { k: 3, model: 'wide-model' });
    expect(hits.slice(0, 2).map((h) => h.chunkId).sort()).toEqual([chunk('hospital', 0).chunkId, chunk('incident', 0).chunkId].sort());
    expect(hits.find((h) => h.docId === 'hospital')).toMatchObject({ ranks: { vector: 1 }, similarity: expect.closeTo(1, 5) });
    const filtered = await hybridSearch(db, { text: 'ERA-7731', vector }, { k: 3, model: 'wide-model', metadata: { type: 'incident' } });
    expect(new Set(filtered.map((h) => h.docId))).toEqual(new Set(['incident']));
  });
});

describe.each(clients)('migration 008 on an existing database (%s)', (_name, open) => {
  let db: SqlClient;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client: db, close } = await open());
  });
  afterAll(async () => {
    await close();
  });

  it('gives the chunks stored before it their search vector', async () => {
    await migrate(db, { dimension: DIM, through: 7 });
    const before = doc({ docId: 'old', minister: 'finance', source: 'file:///old.md', metadata: { type: 'legacy' }, texts: ['Stored before full-text search: LEGACY-99 budget.', 'Second chunk.'] });
    await writeBatch(db, before, { now: 1 });
    expect((await db.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'chunks' AND column_name = 'search_vector'`)).rowCount).toBe(0);

    expect((await migrate(db, { dimension: DIM, through: 8 })).applied).toEqual(['008_text_search.sql']);
    const { rows } = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM chunks WHERE search_vector IS NULL OR search_vector = \'\'::tsvector');
    expect(Number(rows[0]!.n)).toBe(0);
    const [hit] = await textSearch(db, 'legacy-99');
    expect(hit).toMatchObject({ chunkId: before[0]!.chunkId, metadata: { type: 'legacy' } });
    // And chunks written after it get theirs from the same definition.
    const after = doc({ docId: 'new', minister: 'finance', source: 'file:///new.md', metadata: {}, texts: ['Stored after: LEGACY-99 again.'] });
    await writeBatch(db, after, { now: 2 });
    expect((await textSearch(db, 'legacy-99')).map((h) => h.docId).sort()).toEqual(['new', 'old']);
  });
});
