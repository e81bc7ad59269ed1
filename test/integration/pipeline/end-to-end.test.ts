/**
 * The four stage services as separate processes, as in production, against the real broker,
 * the real PostgreSQL + pgvector, and the Ollama-API test double (see test/helpers/pipeline.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { chunkDocument } from '../../../src/stages/chunk/transform.ts';
import { createPgClient } from '../../../src/storage/pg-client.ts';
import { search } from '../../../src/storage/search.ts';
import { rawRecord, tombstoneRecord } from '../../../src/topics/raw-record.ts';
import { corpus, corpusDocument } from '../../helpers/corpus.ts';
import { startPipeline, type TestPipeline } from '../../helpers/pipeline.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const DIM = 64;
const DOCS = 200;
const CHUNKER = { maxTokens: 64, overlapTokens: 8 };

describe('pipeline end to end: four stage processes, real Kafka, real PostgreSQL', () => {
  let p: TestPipeline;
  const publish = async (records: ReturnType<typeof rawRecord>[]) => p.kit.produce(p.topics.raw, records);

  beforeAll(async () => {
    p = await startPipeline({ dimension: DIM, chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
  }, 240_000);

  afterAll(async () => {
    const outputs = [...p.stages.values()].map((s) => s.output().slice(-2000)).join('\n----\n');
    const codes = await p.stop();
    expect(codes, outputs).toEqual({ store: 0, minister: 0, embed: 0, chunk: 0 });
  }, 120_000);

  it('stores every document with exactly the expected chunks, vectors and ministers', async () => {
    const docs = corpus(DOCS, 0, 'job-e2e-1');
    await publish(docs.map((d) => rawRecord(d, { nowMs: 1_000 })));
    await waitFor(() => new Set(p.stored.map((e) => e.id)).size >= DOCS, { timeoutMs: 180_000, intervalMs: 200, what: `${DOCS} stored events (have ${p.stored.length})` });
    expect(p.stored).toHaveLength(DOCS); // exactly one per document
    const { rows: [counts] } = await p.sql.query('SELECT (SELECT count(*)::int FROM documents) AS docs, (SELECT count(*)::int FROM chunks) AS chunks');
    const expected = docs.map((d) => chunkDocument(d, { version: 0 }, CHUNKER));
    expect(counts.docs).toBe(DOCS);
    expect(counts.chunks).toBe(expected.flat().length);
    const { rows } = await p.sql.query('SELECT chunk_id, doc_id, vector_dims(embedding) AS dims, minister_id FROM chunks');
    expect(new Set(rows.map((r) => r.chunk_id))).toEqual(new Set(expected.flat().map((c) => c.chunkId)));
    expect(rows.every((r) => r.dims === DIM)).toBe(true);
    expect(rows.every((r) => typeof r.minister_id === 'string' && r.minister_id.length > 0)).toBe(true);
    expect(new Set(rows.map((r) => r.minister_id)).size).toBeGreaterThan(3);
    expect(p.stored.every((e) => e.jobId === 'job-e2e-1' && e.chunks > 0)).toBe(true);
  });

  it('republishing the same documents costs zero embedding calls, changes no chunk, and advances each version', async () => {
    const before = await p.sql.query('SELECT doc_id, version, content_hash, chunk_count FROM documents ORDER BY doc_id');
    const chunksBefore = await p.sql.query('SELECT chunk_id, updated_at, xmin::text FROM chunks ORDER BY chunk_id');
    const calls = p.double.calls;
    const seen = p.stored.length;
    await publish(corpus(DOCS, 0, 'job-e2e-2').map((d) => rawRecord(d, { nowMs: 2_000 })));
    await waitFor(() => p.stored.slice(seen).filter((e) => e.jobId === 'job-e2e-2').length >= DOCS, { timeoutMs: 120_000, intervalMs: 200, what: 'the republished documents to complete' });
    expect(p.double.calls).toBe(calls);
    const after = (await p.sql.query('SELECT doc_id, version, content_hash, chunk_count FROM documents ORDER BY doc_id')).rows;
    // Same content and chunks; the version moved to the re-publish (so nothing published before it can win).
    expect(after.map((r) => [r.doc_id, r.content_hash, r.chunk_count])).toEqual(before.rows.map((r) => [r.doc_id, r.content_hash, r.chunk_count]));
    expect(after.every((r, i) => Number(r.version) > Number(before.rows[i].version))).toBe(true);
    expect((await p.sql.query('SELECT chunk_id, updated_at, xmin::text FROM chunks ORDER BY chunk_id')).rows).toEqual(chunksBefore.rows);
  });

  it('replaces new versions atomically: a concurrent reader never sees old and new chunks together', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => i * 7);
    const docIds = ids.map((i) => `doc-${i}`);
    const old = new Map((await p.sql.query('SELECT doc_id, content_hash, version FROM documents WHERE doc_id = ANY($1)', [docIds])).rows.map((r) => [r.doc_id, { hash: r.content_hash, version: Number(r.version) }]));
    const violations: string[] = [];
    let reading = true;
    let reads = 0;
    const hashesRead: Array<Map<string, string>> = [];
    const reader = (async () => {
      const client = new pg.Client({ connectionString: p.dbUrl });
      await client.connect();
      while (reading) {
        // One snapshot of the documents rows and of *all* their chunk rows, per version (not
        // joined on the current hash, which could only ever show one version).
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const { rows: docs } = await client.query('SELECT doc_id, content_hash, version, chunk_count FROM documents WHERE doc_id = ANY($1)', [docIds]);
        const { rows: chunks } = await client.query('SELECT doc_id, content_hash, doc_version, count(*)::int AS n FROM chunks WHERE doc_id = ANY($1) GROUP BY 1, 2, 3', [docIds]);
        await client.query('COMMIT');
        reads += 1;
        hashesRead.push(new Map(docs.map((d) => [d.doc_id as string, d.content_hash as string])));
        if (docs.length !== ids.length) violations.push(`only ${docs.length} documents visible`);
        for (const d of docs) {
          const mine = chunks.filter((c) => c.doc_id === d.doc_id);
          const current = mine.filter((c) => c.content_hash === d.content_hash).reduce((n, c) => n + c.n, 0);
          if (current !== d.chunk_count) violations.push(`${d.doc_id}: ${current} of the current version's ${d.chunk_count} chunks`);
          for (const c of mine) {
            if (c.content_hash !== d.content_hash && Number(c.doc_version) <= Number(d.version)) violations.push(`${d.doc_id}: chunks of an older version beside the current one`);
          }
        }
      }
      await client.end();
    })();
    // The reader spans the flip: it has read before anything is published, and reads again
    // after every new version is stored (signals, not a count of reads that a loaded machine
    // may not reach while the flip happens).
    await waitFor(() => reads >= 1, { timeoutMs: 30_000, intervalMs: 10, what: 'the reader\'s first snapshot' });
    const seen = p.stored.length;
    await publish(ids.map((i) => rawRecord(corpusDocument(i, 1, 'job-e2e-3'), { nowMs: Date.now() })));
    await waitFor(() => p.stored.slice(seen).filter((e) => e.jobId === 'job-e2e-3').length >= ids.length, { timeoutMs: 120_000, intervalMs: 100, what: 'the new versions to be stored' });
    const readsAtStored = reads;
    await waitFor(() => reads > readsAtStored, { timeoutMs: 30_000, intervalMs: 10, what: 'a snapshot after the flip' });
    reading = false;
    await reader;
    expect(violations).toEqual([]);
    for (const id of docIds) {
      expect(hashesRead[0]!.get(id), `${id} before the flip`).toBe(old.get(id)!.hash);
      expect(hashesRead.at(-1)!.get(id), `${id} after the flip`).not.toBe(old.get(id)!.hash);
    }
    for (const i of ids) {
      const doc = corpusDocument(i, 1);
      const expected = chunkDocument(doc, { version: 0 }, CHUNKER);
      const { rows } = await p.sql.query('SELECT chunk_id, content_hash FROM chunks WHERE doc_id = $1', [doc.id]);
      expect(new Set(rows.map((r) => r.chunk_id))).toEqual(new Set(expected.map((c) => c.chunkId)));
      expect(rows.some((r) => r.content_hash === old.get(doc.id)!.hash)).toBe(false);
      const { rows: [current] } = await p.sql.query('SELECT version, content_hash FROM documents WHERE doc_id = $1', [doc.id]);
      expect(current!.content_hash).toBe(expected[0]!.contentHash);
      expect(Number(current!.version)).toBeGreaterThan(old.get(doc.id)!.version);
    }
  });

  it('deletes tombstoned documents from every table', async () => {
    const ids = ['doc-1', 'doc-2', 'doc-3', 'doc-4', 'doc-5'];
    const seen = p.stored.length;
    await publish(ids.map((id) => tombstoneRecord(id, { nowMs: 4_000, jobId: 'job-e2e-4' })));
    await waitFor(() => p.stored.slice(seen).filter((e) => e.deleted).length >= ids.length, { timeoutMs: 60_000, intervalMs: 100, what: 'deletion events' });
    const { rows: [left] } = await p.sql.query('SELECT (SELECT count(*)::int FROM documents WHERE doc_id = ANY($1)) AS docs, (SELECT count(*)::int FROM chunks WHERE doc_id = ANY($1)) AS chunks', [ids]);
    expect(left).toEqual({ docs: 0, chunks: 0 });
    const { rows: [total] } = await p.sql.query('SELECT count(*)::int AS n FROM documents');
    expect(total.n).toBe(DOCS - ids.length);
  });

  it('finds a stored chunk first when searching a sentence taken from it', async () => {
    const client = createPgClient(p.dbUrl, { max: 1 });
    try {
      // Take the longest sentence of one stored chunk; the corpus repeats paragraphs across
      // documents, so the chunk found first must contain the sentence (it may be a twin).
      const { rows: [chunk] } = await p.sql.query(`SELECT c.chunk_id, c.text FROM chunks c JOIN documents d USING (doc_id) WHERE d.content_hash = c.content_hash AND c.doc_id = 'doc-42' ORDER BY c.seq LIMIT 1`);
      const sentence = (chunk.text as string).split(/(?<=[.!?])\s+|\n+/).sort((a, b) => b.length - a.length)[0]!;
      expect(sentence.split(' ').length).toBeGreaterThan(8);
      const [query] = await createHashEmbedder({ dimension: DIM }).embed([sentence]);
      const hits = await search(client, query!, { k: 5 });
      expect(hits[0]!.text).toContain(sentence);
      expect(hits[0]!.score).toBeGreaterThan(hits.at(-1)!.score);
    } finally {
      await client.close();
    }
  });
});
