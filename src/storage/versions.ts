/**
 * Versions for the in-process runner (`era-ingest run`), where no broker orders the records: a
 * per-document counter in the store (migration 007), above the document's current version and
 * tombstone, handed out atomically, so versions are total per document and never tie — even with
 * two runs writing one PostgreSQL at once. (The Kafka stages use the record's offset in era.raw.)
 */
import type { SqlClient } from './sql-client.ts';

/** The next version of each document, in one statement; `docIds` must be distinct. */
export async function nextVersions(client: SqlClient, docIds: readonly string[]): Promise<Map<string, number>> {
  if (docIds.length === 0) return new Map();
  if (new Set(docIds).size !== docIds.length) throw new RangeError('nextVersions: the document ids must be distinct (give a repeated id its own call)');
  const { rows } = await client.query<{ doc_id: string; last_version: unknown }>(
    `WITH p AS (
       SELECT p.doc_id, GREATEST(COALESCE(d.version, -1), COALESCE(t.version, -1)) AS current
       FROM unnest($1::text[]) AS p(doc_id)
       LEFT JOIN documents d ON d.doc_id = p.doc_id
       LEFT JOIN document_tombstones t ON t.doc_id = p.doc_id
     )
     INSERT INTO document_versions (doc_id, last_version)
     SELECT doc_id, current + 1 FROM p
     ON CONFLICT (doc_id) DO UPDATE SET last_version = GREATEST(document_versions.last_version, excluded.last_version - 1) + 1
     RETURNING doc_id, last_version`,
    [[...docIds]]);
  return new Map(rows.map((r) => [r.doc_id, Number(r.last_version)]));
}
