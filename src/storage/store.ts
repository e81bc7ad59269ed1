/**
 * writeBatch: the store stage's one write, shared by the Kafka store stage (PostgreSQL) and the
 * embedded mode (PGlite). One transaction per batch; a document version becomes visible by a
 * version flip (DESIGN.md §4):
 *
 * 1. lock the batch's documents (pg_advisory_xact_lock(hashtextextended(doc_id, 0)), ascending),
 *    so concurrent writers of one document — other batches, other store processes — run one
 *    after the other and the last one sees every row;
 * 2. read their state and plan (./store-plan.ts): apply deletes, skip unchanged and stale chunks;
 * 3. upsert the remaining chunks as pending (tagged with their content hash and version);
 * 4. advance the version of documents re-published with their current content (no chunk
 *    changes; older pending versions are deleted: they can never become current);
 * 5. count the stored chunks of each touched (doc, content hash): complete versions newer than
 *    the current one flip — one statement upserts their documents rows;
 * 6. delete the replaced chunks and apply the minister aggregate deltas in one last statement.
 *
 * Search joins chunks on documents.content_hash, so readers see either the old or the new
 * version of a document, never a mix, never nothing in between.
 */
import { ValidationError } from '../errors/pipeline-error.ts';
import type { MinistersValue, RoutedChunk, StoredEvent } from '../topics/messages.ts';
import type { SqlClient } from './sql-client.ts';
import { sql } from './sql-files.ts';
import { batchDocIds, orderEvents, planBatch, planFlips, type Completeness, type DocState, type Flip } from './store-plan.ts';
import { toVectorText } from './vector-text.ts';

export interface WriteBatchOptions {
  /** Time of the write, ms epoch: `updated_at` of written rows and `storedAt` of events. */
  now: number;
  /** Rows per upsert statement. @defaultValue 500 */
  rowsPerStatement?: number;
}

/**
 * Writes one batch of `era.ministers` values in one transaction and returns the `era.stored`
 * events it produced: one per document version that became current, one per deletion applied,
 * and one per unchanged document whose last chunk (seq = count - 1) is in the batch. Emit them
 * only after this resolves (the transaction has committed then).
 *
 * Idempotent: writing the same batch again leaves the same visible state (current chunks and
 * documents are not touched; pending chunks are rewritten with equal values) and returns only
 * the unchanged and deletion events, so a redelivered batch is harmless. May run concurrently
 * with other writeBatch calls (other connections, other processes) on overlapping documents.
 * Versions of one document are expected in publish order (topics are keyed by document id);
 * a version older than the current one is dropped as stale whenever it arrives.
 *
 * @throws ValidationError when an embedding has a NaN/infinite component (nothing is written).
 * @throws DependencyError (retriable: connection lost, deadlock, serialization failure — retry
 *   the whole batch) or SqlError (non-retriable, e.g. an embedding of the wrong dimension).
 */
export async function writeBatch(client: SqlClient, items: readonly MinistersValue[], options: WriteBatchOptions): Promise<StoredEvent[]> {
  const { now, rowsPerStatement = 500 } = options;
  if (items.length === 0) return [];
  for (const item of items) if (item.kind === 'chunk') assertFinite(item);
  const docIds = batchDocIds(items);
  return client.transaction(async (tx) => {
    await tx.query(sql('store-lock'), [docIds]);
    const plan = planBatch(items, await readState(tx, docIds), now);

    const deletes = [...plan.docs.values()].filter((d) => d.apply);
    let removed: Removal[] = [];
    if (deletes.length > 0) {
      const { rows } = await tx.query<Removal>(sql('store-delete'), [
        deletes.map((d) => d.docId), deletes.map((d) => d.apply!.version), deletes.map((d) => d.apply!.currentHash ?? null), now,
      ]);
      removed = rows;
    }

    for (let i = 0; i < plan.rows.length; i += rowsPerStatement) {
      await tx.query(sql('store-upsert-chunks'), chunkParams(plan.rows.slice(i, i + rowsPerStatement), now));
    }

    const advances = [...plan.docs.values()].filter((d) => d.advance);
    if (advances.length > 0) {
      await tx.query(sql('store-advance'), [advances.map((d) => d.docId), advances.map((d) => d.advance!.version), advances.map((d) => d.advance!.jobId ?? null), now]);
    }

    let flips: Flip[] = [];
    let flipEvents = new Map<string, StoredEvent[]>();
    if (plan.candidates.size > 0) {
      const candidates = [...plan.candidates.values()];
      const { rows } = await tx.query<{ doc_id: string; content_hash: string; stored: number; version: unknown }>(
        sql('store-completeness'), [candidates.map((c) => c.docId), candidates.map((c) => c.contentHash)]);
      const completeness: Completeness[] = rows.map((r) => ({
        docId: r.doc_id, contentHash: r.content_hash, stored: Number(r.stored), version: Number(r.version),
      }));
      ({ flips, events: flipEvents } = planFlips(plan, completeness, now));
    }
    if (flips.length > 0) await tx.query(sql('store-flip-documents'), flipParams(flips, now));

    if (flips.length > 0 || removed.length > 0) {
      await tx.query(sql('store-aggregates'), [
        flips.map((f) => f.docId), flips.map((f) => f.contentHash), flips.map((f) => f.version), flips.map((f) => f.previousHash ?? null),
        removed.map((r) => r.minister_id), removed.map((r) => r.category), removed.map((r) => r.embedding_sum), removed.map((r) => Number(r.n)),
        now,
      ]);
      await tx.query('DELETE FROM minister_categories WHERE entry_count <= 0');
    }
    return orderEvents(plan, flipEvents, now);
  });
}

function assertFinite(chunk: RoutedChunk): void {
  const e = chunk.embedding;
  for (let i = 0; i < e.length; i++) {
    if (!Number.isFinite(e[i]!)) {
      throw new ValidationError(`chunk ${chunk.chunkId} of document ${chunk.docId}: embedding has a non-finite component ${e[i]} at index ${i}`);
    }
  }
}

interface Removal {
  minister_id: string;
  category: string | null;
  embedding_sum: string;
  n: number;
}

async function readState(tx: SqlClient, docIds: string[]): Promise<Map<string, DocState>> {
  const { rows } = await tx.query<{ doc_id: string; version: unknown; content_hash: string | null; chunk_count: unknown; tombstone: unknown }>(
    sql('store-read'), [docIds]);
  const state = new Map<string, DocState>();
  for (const r of rows) {
    const s: DocState = {};
    if (r.content_hash !== null) s.current = { version: Number(r.version), contentHash: r.content_hash, chunkCount: Number(r.chunk_count) };
    if (r.tombstone !== null && r.tombstone !== undefined) s.tombstone = Number(r.tombstone);
    state.set(r.doc_id, s);
  }
  return state;
}

function chunkParams(rows: RoutedChunk[], now: number): unknown[] {
  const cols: unknown[][] = Array.from({ length: 12 }, () => new Array<unknown>(rows.length));
  rows.forEach((c, i) => {
    cols[0]![i] = c.chunkId;
    cols[1]![i] = c.docId;
    cols[2]![i] = c.contentHash;
    cols[3]![i] = c.version;
    cols[4]![i] = c.seq;
    cols[5]![i] = c.text;
    cols[6]![i] = c.tokenCount;
    cols[7]![i] = JSON.stringify(c.headingPath ?? []);
    cols[8]![i] = toVectorText(c.embedding, `chunk ${c.chunkId} of document ${c.docId}: embedding`);
    cols[9]![i] = c.model;
    cols[10]![i] = c.ministerId;
    cols[11]![i] = c.category ?? null;
  });
  return [...cols, now];
}

function flipParams(flips: Flip[], now: number): unknown[] {
  const r = flips.map((f) => f.representative);
  return [
    flips.map((f) => f.docId), flips.map((f) => f.version), flips.map((f) => f.contentHash),
    r.map((c) => c.title ?? null), r.map((c) => c.source ?? null),
    r.map((c) => (c.metadata === undefined ? null : JSON.stringify(c.metadata))),
    flips.map((f) => f.count), r.map((c) => c.jobId ?? null), now,
  ];
}
