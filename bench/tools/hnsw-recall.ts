/**
 * Recall of the HNSW index under different parameters, the evidence behind HNSW_M /
 * HNSW_EF_CONSTRUCTION: `chunks` bench chunks (hash embedder) stored by writeBatch into a fresh
 * database, the exact top 10 of `queries` unseen sentences (exact scan), then for each (m,
 * ef_construction) the index built once and the share of the exact top 10 that `search` (k = 10,
 * its default candidate list of 40 = hnsw.ef_search) returns, with build time and query time.
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/tools/hnsw-recall.ts [--chunks 20000] [--queries 200]
 *     [--params 16/64,8/32,12/48]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createHashEmbedder } from '../../src/embedding/hash-embedder.ts';
import { hnswWith, migrate } from '../../src/storage/migrate.ts';
import { createPgClient } from '../../src/storage/pg-client.ts';
import { search } from '../../src/storage/search.ts';
import { writeBatch } from '../../src/storage/store.ts';
import { routedChunks } from '../kafka/index-cost.ts';
import { benchDocument } from '../lib/corpus.ts';

const { values } = parseArgs({ options: { chunks: { type: 'string', default: '20000' }, queries: { type: 'string', default: '200' }, params: { type: 'string', default: '16/64,8/32,12/48' } } });
const chunks = Number(values.chunks);
const queryCount = Number(values.queries);
const params = values.params.split(',').map((p) => p.split('/').map(Number) as [number, number]);
const DIM = 384;
const name = `hnsw_recall_${Date.now().toString(36)}`;

const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(process.env.DATABASE_URL!);
url.pathname = `/${name}`;
const db = createPgClient(url.toString(), { max: 2 });
try {
  await migrate(db, { dimension: DIM });
  await db.query('DROP INDEX chunks_embedding_hnsw');
  const items = await routedChunks(chunks, 'recall', DIM, { maxTokens: 256, overlapTokens: 32 });
  for (let i = 0; i < items.length; i += 1000) await writeBatch(db, items.slice(i, i + 1000), { now: 1 });
  const embedder = createHashEmbedder({ dimension: DIM });
  const queries = await embedder.embed(Array.from({ length: queryCount }, (_, i) => benchDocument(1_000_000 + i, { tag: 'query' }).text.split(/(?<=\.)\s/)[0]!));
  const exact = await db.transaction(async (tx) => {
    await tx.query('SET LOCAL enable_indexscan = off');
    const out: string[][] = [];
    for (const q of queries) out.push((await search(tx, q, { k: 10 })).map((h) => h.chunkId));
    return out;
  });
  for (const [m, efConstruction] of params) {
    await db.query('DROP INDEX IF EXISTS chunks_embedding_hnsw');
    const built = performance.now();
    await db.query(`CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops) ${hnswWith({ m, efConstruction })}`);
    const buildSeconds = (performance.now() - built) / 1000;
    let found = 0;
    const asked = performance.now();
    for (let i = 0; i < queries.length; i++) {
      const got = new Set((await search(db, queries[i]!, { k: 10 })).map((h) => h.chunkId));
      found += exact[i]!.filter((id) => got.has(id)).length;
    }
    console.log(JSON.stringify({ m, efConstruction, chunks: items.length, queries: queries.length, buildSeconds: Number(buildSeconds.toFixed(2)), recallAt10: Number((found / (queries.length * 10)).toFixed(4)), msPerQuery: Number(((performance.now() - asked) / queries.length).toFixed(2)) }));
  }
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
