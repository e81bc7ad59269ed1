/**
 * Embedding reuse for the embed stage: chunk ids are deterministic (docId, content hash, seq,
 * chunker settings), so a chunk already stored under the same id and model has the very
 * embedding the model would return. An unchanged document then costs zero embedding calls.
 */
import type { SqlClient } from './sql-client.ts';
import { fromVectorText } from './vector-text.ts';

/**
 * Embeddings stored for `chunkIds` by `model`, current or pending, in one query: in
 * `chunks.embedding`, or in the model's re-embedded set (`chunk_vectors`, so a pipeline switched
 * to a re-embedded model embeds nothing it already has). Ids not stored (or stored by another
 * model) are absent from the map. The vectors are bit-exact copies of what was written. With
 * `dimension`, only vectors of that length come back (a model label reused with another
 * dimension must not reach a vector(EMBED_DIM) column).
 */
export async function lookupEmbeddings(client: SqlClient, chunkIds: readonly string[], model: string, dimension?: number): Promise<Map<string, Float32Array>> {
  const found = new Map<string, Float32Array>();
  if (chunkIds.length === 0) return found;
  const { rows } = await client.query<{ chunk_id: string; embedding: string }>(
    `SELECT chunk_id, embedding::text AS embedding FROM chunks
     WHERE chunk_id = ANY($1::text[]) AND model = $2::text AND ($3::int IS NULL OR vector_dims(embedding) = $3::int)
     UNION ALL
     SELECT chunk_id, embedding::text AS embedding FROM chunk_vectors
     WHERE chunk_id = ANY($1::text[]) AND model = $2::text AND ($3::int IS NULL OR vector_dims(embedding) = $3::int)`,
    [[...new Set(chunkIds)], model, dimension ?? null]);
  for (const r of rows) found.set(r.chunk_id, fromVectorText(r.embedding));
  return found;
}
