/**
 * Store-stage experiments behind the benchmark's recommendations: the store's own `writeBatch`
 * into fresh databases with different vector-index settings, embedding dimensions and numbers
 * of concurrent writers (as several store batches in flight, or store replicas, would be).
 * Each variant also reports the CPU its PostgreSQL backends used per row.
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/tools/store-variants.ts [--chunks 8000] [--batch 256]
 *     [--variants default,ef32,m8,noindex,dim128,build-after,writers2] [--statements]
 *
 * --statements: time every statement of writeBatch (by the first line of its SQL file).
 */
import pg from 'pg';
import { createHashEmbedder } from '../../src/embedding/hash-embedder.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import { loadMinistersFile } from '../../src/stages/minister/ministers-file.ts';
import { buildProfiles } from '../../src/stages/minister/profiles.ts';
import { routeValue } from '../../src/stages/minister/route.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPgClient } from '../../src/storage/pg-client.ts';
import type { SqlClient } from '../../src/storage/sql-client.ts';
import { writeBatch } from '../../src/storage/store.ts';
import type { MinistersValue } from '../../src/topics/messages.ts';
import { benchDocument } from '../lib/corpus.ts';
import { clockTicksPerSecond, readProc } from '../lib/proc.ts';

interface Variant {
  name: string;
  dim: number;
  /** SQL run after the migrations (e.g. replace the index); undefined = as migrated. */
  setup?: string;
  writers: number;
  /** SQL run after the load, timed separately (e.g. build the index then). */
  after?: string;
}

const HNSW = 'chunks_embedding_hnsw';
const VARIANTS: Record<string, Variant> = {
  default: { name: 'HNSW m=16 ef_construction=64 (as migrated), 1 writer', dim: 384, writers: 1 },
  ef32: { name: 'HNSW m=16 ef_construction=32', dim: 384, writers: 1, setup: `DROP INDEX ${HNSW}; CREATE INDEX ${HNSW} ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 32)` },
  m8: { name: 'HNSW m=8 ef_construction=32', dim: 384, writers: 1, setup: `DROP INDEX ${HNSW}; CREATE INDEX ${HNSW} ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 32)` },
  m12: { name: 'HNSW m=12 ef_construction=48', dim: 384, writers: 1, setup: `DROP INDEX ${HNSW}; CREATE INDEX ${HNSW} ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 12, ef_construction = 48)` },
  m12w2: { name: 'HNSW m=12 ef_construction=48, 2 concurrent writers', dim: 384, writers: 2, setup: `DROP INDEX ${HNSW}; CREATE INDEX ${HNSW} ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 12, ef_construction = 48)` },
  m10: { name: 'HNSW m=10 ef_construction=40', dim: 384, writers: 1, setup: `DROP INDEX ${HNSW}; CREATE INDEX ${HNSW} ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 10, ef_construction = 40)` },
  halfvec: { name: 'HNSW m=16 ef_construction=64 on a halfvec expression (pgvector >= 0.7)', dim: 384, writers: 1, setup: `DROP INDEX ${HNSW}; CREATE INDEX ${HNSW} ON chunks USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops)` },
  noindex: { name: 'no vector index', dim: 384, writers: 1, setup: `DROP INDEX ${HNSW}` },
  dim128: { name: 'HNSW default, EMBED_DIM=128', dim: 128, writers: 1 },
  'build-after': { name: 'no index during the load, HNSW built after it', dim: 384, writers: 1, setup: `DROP INDEX ${HNSW}`, after: `SET maintenance_work_mem = '256MB'; CREATE INDEX ${HNSW} ON chunks USING hnsw (embedding vector_cosine_ops)` },
  writers2: { name: 'HNSW default, 2 concurrent writers', dim: 384, writers: 2 },
  writers4: { name: 'HNSW default, 4 concurrent writers', dim: 384, writers: 4 },
};

async function routed(count: number, dim: number, tag: string): Promise<MinistersValue[]> {
  const embedder = createHashEmbedder({ dimension: dim });
  const profiles = await buildProfiles(loadMinistersFile(), embedder);
  const out: MinistersValue[] = [];
  for (let i = 0; out.length < count; i++) {
    const chunks = chunkDocument(benchDocument(i, { tag }), { version: 1_700_000_000_000 + i }, { maxTokens: 256, overlapTokens: 32 });
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    chunks.forEach((c, j) => out.push(routeValue({ ...c, embedding: vectors[j]!, model: embedder.model }, profiles)));
  }
  return out;
}

/** Time per statement (by its first SQL comment line or first words) inside writeBatch transactions. */
const statementMs = new Map<string, { ms: number; n: number }>();
function labelOf(sql: string): string {
  const comment = /^--\s*(.+)$/m.exec(sql)?.[1];
  const first = sql.replace(/--.*$/gm, '').trim().split(/\s+/).slice(0, 3).join(' ');
  return (comment ?? first).slice(0, 70);
}
function timedClient(inner: SqlClient): SqlClient {
  const wrap = (c: SqlClient): SqlClient => ({
    kind: c.kind,
    query: async (sql, params) => {
      const t = performance.now();
      try {
        return await c.query(sql, params);
      } finally {
        const e = statementMs.get(labelOf(sql)) ?? { ms: 0, n: 0 };
        e.ms += performance.now() - t;
        e.n += 1;
        statementMs.set(labelOf(sql), e);
      }
    },
    transaction: (fn) => c.transaction((tx) => fn(wrap(tx))),
    close: () => c.close(),
  });
  return wrap(inner);
}

async function backendTicks(admin: pg.Client, db: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db]);
  return rows.reduce((s, r) => s + (readProc(r.pid)?.cpuTicks ?? 0), 0);
}

async function run(adminUrl: string, key: string, v: Variant, chunks: number, batch: number): Promise<void> {
  const db = `era_store_variant_${key.replace(/[^a-z0-9]/g, '_')}_${Date.now() % 100000}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  const client = createPgClient(url.toString(), { max: Math.max(2, v.writers) });
  try {
    await migrate(client, { dimension: v.dim });
    if (v.setup) await client.query(v.setup);
    const items = await routed(chunks, v.dim, `${db}-x`);
    const batches: MinistersValue[][] = [];
    for (let i = 0; i < items.length; i += batch) batches.push(items.slice(i, i + batch));
    // Open every connection first so their backends are counted from the start.
    await Promise.all(Array.from({ length: v.writers }, () => client.query('SELECT 1')));
    const ticks0 = await backendTicks(admin, db);
    const started = performance.now();
    let next = 0;
    const writer = profileStatements ? timedClient(client) : client;
    statementMs.clear();
    await Promise.all(Array.from({ length: v.writers }, async () => {
      while (next < batches.length) await writeBatch(writer, batches[next++]!, { now: Date.now() });
    }));
    const loadS = (performance.now() - started) / 1000;
    const cpuS = ((await backendTicks(admin, db)) - ticks0) / clockTicksPerSecond();
    let afterS = 0;
    if (v.after) {
      const t = performance.now();
      await client.query(v.after);
      afterS = (performance.now() - t) / 1000;
    }
    const total = loadS + afterS;
    if (profileStatements) {
      for (const [label, { ms, n }] of [...statementMs].sort((a, b) => b[1].ms - a[1].ms)) {
        process.stdout.write(`    ${(ms / 1000).toFixed(2).padStart(7)} s  ${String(n).padStart(5)} ×  ${(ms / n).toFixed(1).padStart(7)} ms  ${label}\n`);
      }
    }
    process.stdout.write(`${v.name.padEnd(52)} ${String(items.length).padStart(6)} rows  load ${loadS.toFixed(1).padStart(5)} s${v.after ? ` + after ${afterS.toFixed(1)} s` : ''}  → ${(items.length / total).toFixed(0).padStart(5)} rows/s   postgres CPU ${((cpuS * 1000) / items.length).toFixed(2)} ms/row during the load\n`);
  } finally {
    await client.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) throw new Error('set DATABASE_URL to a PostgreSQL with pgvector where databases may be created');
const chunks = Number(arg('--chunks', '8000'));
const profileStatements = args.includes('--statements');
const keys = arg('--variants', 'default,ef32,m8,dim128,noindex,build-after,writers2').split(',');
for (const key of keys) {
  const v = VARIANTS[key];
  if (!v) throw new Error(`unknown variant ${key}: use ${Object.keys(VARIANTS).join(', ')}`);
  await run(adminUrl, key, v, chunks, Number(arg('--batch', '256')));
}
