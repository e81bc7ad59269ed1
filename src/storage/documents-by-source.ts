/**
 * Documents by where they came from, for `run --sync` and `delete` (src/documents/sync.ts,
 * src/documents/ids.ts): the store records each file's URL in `documents.source`.
 */
import type { SqlClient } from './sql-client.ts';
import { sql } from './sql-files.ts';

/** Current documents whose source is one of `urls` or lies below one of them. */
export async function documentsUnder(client: SqlClient, urls: readonly string[]): Promise<Array<{ id: string; source: string | null }>> {
  if (urls.length === 0) return [];
  const { rows } = await client.query<{ doc_id: string; source: string | null }>(sql('documents-under'), [[...urls], urls.map((u) => (u.endsWith('/') ? u : `${u}/`))]);
  return rows.map((r) => ({ id: r.doc_id, source: r.source }));
}

/** Which of `ids` are current documents. */
export async function existingDocuments(client: SqlClient, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await client.query<{ doc_id: string }>('SELECT doc_id FROM documents WHERE doc_id = ANY($1::text[])', [[...ids]]);
  return new Set(rows.map((r) => r.doc_id));
}
