/**
 * The core store scenario (3-batch arrival, replace, unchanged re-publish, late old version,
 * delete, re-publish, search, embedding cache) as a transcript of everything a caller can
 * observe, so the pg and PGlite clients can be compared for equality.
 */
import { lookupEmbeddings } from '../../../src/storage/embedding-cache.ts';
import { readMinisterAggregates } from '../../../src/storage/ministers.ts';
import { chunkCount, documentChunks, documentCount, search, type SearchHit } from '../../../src/storage/search.ts';
import { hybridSearch } from '../../../src/storage/hybrid-search.ts';
import type { SqlClient } from '../../../src/storage/sql-client.ts';
import { textSearch } from '../../../src/storage/text-search.ts';
import { writeBatch } from '../../../src/storage/store.ts';
import type { MinistersValue } from '../../../src/topics/messages.ts';
import { deleteOf, makeDoc, unitVector } from './fixtures.ts';

export const SCENARIO_DIM = 24;

export async function runCoreScenario(db: SqlClient): Promise<unknown[]> {
  const dim = SCENARIO_DIM;
  const out: unknown[] = [];
  let now = 1_000;
  const write = async (label: string, items: MinistersValue[]) => {
    out.push([label, await writeBatch(db, items, { now: ++now })]);
  };
  const observe = async (label: string, docId: string) => {
    out.push([label, await documentChunks(db, docId), await documentCount(db), await chunkCount(db)]);
  };

  const others = Array.from({ length: 10 }, (_, i) => makeDoc({ docId: `o-${i}`, version: 1, count: 5, dim, minister: i % 2 ? 'finance' : 'health', category: 'c' })).flat();
  await write('others', others);
  const v1 = makeDoc({ docId: 'doc', version: 10, count: 9, dim, minister: 'finance', category: 'budget', jobId: 'j1' });
  await write('v1 part 2', v1.slice(3, 6));
  await observe('after part 2', 'doc');
  await write('v1 part 1', v1.slice(0, 3));
  await observe('after part 1', 'doc');
  await write('v1 part 3', v1.slice(6));
  await observe('after part 3', 'doc');
  const v2 = makeDoc({ docId: 'doc', version: 20, count: 4, dim, minister: 'health', jobId: 'j2' });
  await write('v2 half', v2.slice(0, 2));
  await observe('v2 pending', 'doc');
  await write('v2 rest', v2.slice(2));
  await observe('v2 current', 'doc');
  await write('unchanged', makeDoc({ docId: 'doc', version: 30, count: 4, dim, minister: 'health', content: 'v20', jobId: 'j3' }));
  await write('late old', makeDoc({ docId: 'doc', version: 15, count: 2, dim }));
  await observe('after late old', 'doc');
  // pgvector versions round cosine distances differently in the last bits (0.6 vs 0.8; a server
  // may run any version from 0.7 on, PGlite 0.8).
  const rounded = (hits: SearchHit[]) => hits.map((h) => ({ ...h, score: h.score.toFixed(5), similarity: h.similarity?.toFixed(5), textScore: h.textScore?.toFixed(5) }));
  out.push(['search', rounded(await search(db, v2[1]!.embedding, { k: 3 }))]);
  out.push(['search filtered', rounded(await search(db, unitVector(dim, 3), { k: 5, minister: 'finance', category: 'c' }))]);
  out.push(['text search', rounded(await textSearch(db, 'doc "chunk 3" o-5', { k: 5 }))]);
  out.push(['hybrid search', rounded(await hybridSearch(db, { text: 'doc chunk 1', vector: v2[1]!.embedding }, { k: 5, minister: 'health' }))]);
  out.push(['cache', [...await lookupEmbeddings(db, [v2[0]!.chunkId, v1[0]!.chunkId], 'test-model')].map(([k, v]) => [k, Array.from(v)])]);
  out.push(['ministers', (await readMinisterAggregates(db)).map((m) => ({ ...m, centroid: m.centroid && Array.from(m.centroid, (x) => x.toFixed(5)) }))]);
  await write('delete', [deleteOf('doc', 40, 'jd')]);
  await observe('deleted', 'doc');
  await write('republish', makeDoc({ docId: 'doc', version: 50, count: 2, dim }));
  await observe('republished', 'doc');
  out.push(['ministers after', (await readMinisterAggregates(db)).map((m) => [m.ministerId, m.entryCount, m.categories])]);
  return out;
}
