-- Applies deletions: removes the documents row and every chunk of a version <= the delete
-- (current and pending), records the tombstone, and returns what the removed current chunks
-- contributed to the minister aggregates (summed per minister/category), for the batch's one
-- aggregate statement to subtract.
-- $1 doc ids, $2 delete versions, $3 content hash current before the delete (or null), $4 now (ms).
WITH p AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) AS p(doc_id, version, current_hash)
), gone_docs AS (
  DELETE FROM documents d USING p WHERE d.doc_id = p.doc_id AND d.version <= p.version
), tomb AS (
  INSERT INTO document_tombstones (doc_id, version, deleted_at)
  SELECT doc_id, version, to_timestamp($4::float8 / 1000) FROM p
  ON CONFLICT (doc_id) DO UPDATE
    SET version = GREATEST(document_tombstones.version, excluded.version), deleted_at = excluded.deleted_at
), gone AS (
  DELETE FROM chunks c USING p WHERE c.doc_id = p.doc_id AND c.doc_version <= p.version
  RETURNING c.doc_id, c.content_hash, c.minister_id, c.category, c.embedding
)
SELECT g.minister_id, g.category, sum(g.embedding)::text AS embedding_sum, count(*)::int AS n
FROM gone g JOIN p ON p.doc_id = g.doc_id AND p.current_hash = g.content_hash
GROUP BY g.minister_id, g.category
