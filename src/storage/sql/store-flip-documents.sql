-- The version flip: one statement makes each complete version current by upserting its
-- documents row, only over an older version. Search joins chunks on documents.content_hash, so
-- from commit on it sees exactly the new version's chunks. The document's minister/category are
-- the ones most of its chunks were routed to (an explicit document minister/category routes
-- every chunk there).
-- $1 doc_id, $2 version, $3 content_hash, $4 title, $5 source, $6 metadata (JSON text),
-- $7 chunk_count, $8 job_id, $9 now (ms).
WITH p AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::int[], $8::text[])
    AS p(doc_id, version, content_hash, title, source, metadata, chunk_count, job_id)
), untomb AS (
  DELETE FROM document_tombstones t USING p WHERE t.doc_id = p.doc_id AND t.version < p.version
)
INSERT INTO documents (doc_id, version, content_hash, title, source, minister_id, category, metadata,
                       chunk_count, job_id, updated_at)
SELECT p.doc_id, p.version, p.content_hash, p.title, p.source, agg.minister_id,
       agg.category, p.metadata::jsonb, p.chunk_count, p.job_id, to_timestamp($9::float8 / 1000)
FROM p
LEFT JOIN LATERAL (
  SELECT mode() WITHIN GROUP (ORDER BY c.minister_id) AS minister_id,
         mode() WITHIN GROUP (ORDER BY c.category) AS category
  FROM chunks c WHERE c.doc_id = p.doc_id AND c.content_hash = p.content_hash
) agg ON true
ON CONFLICT (doc_id) DO UPDATE SET
  version = excluded.version,
  content_hash = excluded.content_hash,
  title = excluded.title,
  source = excluded.source,
  minister_id = excluded.minister_id,
  category = excluded.category,
  metadata = excluded.metadata,
  chunk_count = excluded.chunk_count,
  job_id = excluded.job_id,
  updated_at = excluded.updated_at
WHERE documents.version < excluded.version
RETURNING doc_id
