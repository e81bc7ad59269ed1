/**
 * Minister profiles and aggregates in the database. Aggregates (entry_count, centroid_sum,
 * minister_categories) are maintained by writeBatch only; this module writes profiles and reads.
 */
import type { SqlClient } from './sql-client.ts';
import { fromVectorText } from './vector-text.ts';

export interface MinisterProfile {
  id: string;
  name: string;
  description?: string;
}

export interface MinisterAggregate {
  ministerId: string;
  name: string;
  description: string | null;
  /** Current chunks routed to this minister. */
  entryCount: number;
  /** Mean embedding of those chunks; null when there are none. */
  centroid: Float32Array | null;
  /** Current chunks per category (uncategorised chunks are not listed). */
  categories: Record<string, number>;
}

/**
 * Creates or updates minister profiles (name, description) in one statement, leaving their
 * aggregates untouched. Ministers first seen in routed chunks exist already, named by id.
 */
export async function upsertMinisterProfiles(client: SqlClient, profiles: readonly MinisterProfile[]): Promise<void> {
  if (profiles.length === 0) return;
  const sorted = [...new Map(profiles.map((p) => [p.id, p])).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await client.query(
    `INSERT INTO ministers (minister_id, name, description, updated_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS p(minister_id, name, description), LATERAL (SELECT now()) AS t(updated_at)
     ON CONFLICT (minister_id) DO UPDATE SET name = excluded.name, description = excluded.description, updated_at = excluded.updated_at`,
    [sorted.map((p) => p.id), sorted.map((p) => p.name), sorted.map((p) => p.description ?? null)]);
}

/** Every minister with its aggregates, by id. */
export async function readMinisterAggregates(client: SqlClient): Promise<MinisterAggregate[]> {
  const { rows } = await client.query<{ minister_id: string; name: string; description: string | null; entry_count: unknown; centroid: string | null; categories: Record<string, unknown> | null }>(
    `SELECT m.minister_id, m.name, m.description, m.entry_count, m.centroid::text AS centroid,
            (SELECT jsonb_object_agg(mc.category, mc.entry_count) FROM minister_categories mc WHERE mc.minister_id = m.minister_id) AS categories
     FROM ministers m ORDER BY m.minister_id`);
  return rows.map((r) => ({
    ministerId: r.minister_id,
    name: r.name,
    description: r.description,
    entryCount: Number(r.entry_count),
    centroid: r.centroid === null ? null : fromVectorText(r.centroid),
    categories: Object.fromEntries(Object.entries(r.categories ?? {}).map(([k, v]) => [k, Number(v)])),
  }));
}

/** An entry of a minister: a current chunk routed to it, with its document's title. */
export interface MinisterEntry {
  docId: string;
  title: string | null;
  category: string | null;
  text: string;
}

/** The first `n` current chunks routed to `ministerId`, in document and chunk order (a sample to show). */
export async function readMinisterSample(client: SqlClient, ministerId: string, n: number): Promise<MinisterEntry[]> {
  const { rows } = await client.query<{ doc_id: string; title: string | null; category: string | null; text: string }>(
    `SELECT c.doc_id, d.title, c.category, c.text FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
     WHERE c.minister_id = $1::text ORDER BY c.doc_id, c.seq LIMIT $2::int`, [ministerId, n]);
  return rows.map((r) => ({ docId: r.doc_id, title: r.title, category: r.category, text: r.text }));
}
