/**
 * The HNSW index's share of the store stage's write time: the store stage's own `writeBatch`
 * on the same batches into two fresh databases on the same server, one with the
 * `chunks_embedding_hnsw` index (as migrated) and one without it. Batches alternate between
 * the two databases so that background load on the machine affects both alike.
 */
import pg from 'pg';
import { createHashEmbedder } from '../../src/embedding/hash-embedder.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import { loadMinistersFile } from '../../src/stages/minister/ministers-file.ts';
import { buildProfiles } from '../../src/stages/minister/profiles.ts';
import { routeValue } from '../../src/stages/minister/route.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPgClient, type PgClient } from '../../src/storage/pg-client.ts';
import { writeBatch } from '../../src/storage/store.ts';
import type { MinistersValue } from '../../src/topics/messages.ts';
import { benchDocument } from '../lib/corpus.ts';
import type { IndexCost } from '../lib/types.ts';

export interface IndexCostOptions {
  adminDatabaseUrl: string;
  id: string;
  chunks: number;
  batchSize: number;
  embedDim: number;
  chunker: { maxTokens: number; overlapTokens: number };
  keep: boolean;
  log: (message: string) => void;
}

/** `count` (or a few more: whole documents) routed chunks of the bench corpus, hash-embedded. */
export async function routedChunks(count: number, tag: string, dim: number, chunker: IndexCostOptions['chunker']): Promise<MinistersValue[]> {
  const embedder = createHashEmbedder({ dimension: dim });
  const profiles = await buildProfiles(loadMinistersFile(), embedder);
  const out: MinistersValue[] = [];
  for (let i = 0; out.length < count; i++) {
    const chunks = chunkDocument(benchDocument(i, { tag }), { version: 1_700_000_000_000 + i }, chunker);
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    chunks.forEach((c, j) => out.push(routeValue({ ...c, embedding: vectors[j]!, model: embedder.model }, profiles)));
  }
  return out; // whole documents: may run a few chunks over `count`
}

export async function measureIndexCost(o: IndexCostOptions): Promise<IndexCost> {
  const names = { with: `${o.id}_idx`.replace(/[^a-z0-9_]/g, '_'), without: `${o.id}_noidx`.replace(/[^a-z0-9_]/g, '_') };
  const admin = new pg.Client({ connectionString: o.adminDatabaseUrl });
  await admin.connect();
  const clients: Partial<Record<'with' | 'without', PgClient>> = {};
  try {
    for (const name of Object.values(names)) await admin.query(`CREATE DATABASE ${name}`);
    for (const key of ['with', 'without'] as const) {
      const url = new URL(o.adminDatabaseUrl);
      url.pathname = `/${names[key]}`;
      const client = createPgClient(url.toString(), { max: 4 });
      clients[key] = client;
      await migrate(client, { dimension: o.embedDim });
      if (key === 'without') await client.query('DROP INDEX chunks_embedding_hnsw');
    }
    o.log(`index cost: generating ${o.chunks} routed chunks`);
    const items = await routedChunks(o.chunks, `${o.id}-idx`, o.embedDim, o.chunker);
    const seconds = { with: 0, without: 0 };
    o.log(`index cost: writing ${items.length} chunks in batches of ${o.batchSize} into both databases, alternating`);
    for (let i = 0, k = 0; i < items.length; i += o.batchSize, k++) {
      const batch = items.slice(i, i + o.batchSize);
      const order: Array<'with' | 'without'> = k % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
      for (const key of order) {
        const started = performance.now();
        await writeBatch(clients[key]!, batch, { now: Date.now() });
        seconds[key] += (performance.now() - started) / 1000;
      }
    }
    const result: IndexCost = {
      chunks: items.length,
      batchSize: o.batchSize,
      withIndexSeconds: seconds.with,
      withoutIndexSeconds: seconds.without,
      withIndexRowsPerSec: items.length / seconds.with,
      withoutIndexRowsPerSec: items.length / seconds.without,
      indexShare: Math.max(0, (seconds.with - seconds.without) / seconds.with),
    };
    o.log(`index cost: ${result.withIndexRowsPerSec.toFixed(0)} rows/s with the HNSW index, ${result.withoutIndexRowsPerSec.toFixed(0)} without: the index is ${(result.indexShare * 100).toFixed(0)} % of the write time`);
    return result;
  } finally {
    for (const c of Object.values(clients)) await c.close().catch(() => undefined);
    if (!o.keep) for (const name of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}
