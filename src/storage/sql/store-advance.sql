-- A re-publish of a document's current content: the documents row takes the newer version (and
-- its job), so every version published before it is stale from now on, and the pending chunks
-- of older versions with other contents are deleted (they can never become current). The
-- current chunks do not change, so neither do the minister aggregates.
-- $1 doc ids, $2 versions, $3 job ids (or null), $4 now (ms).
WITH p AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) AS p(doc_id, version, job_id)
), advanced AS (
  UPDATE documents d SET version = p.version, job_id = COALESCE(p.job_id, d.job_id), updated_at = to_timestamp($4::float8 / 1000)
  FROM p WHERE d.doc_id = p.doc_id AND d.version < p.version
  RETURNING d.doc_id, d.content_hash, d.version
)
DELETE FROM chunks c USING advanced a
WHERE c.doc_id = a.doc_id AND c.content_hash <> a.content_hash AND c.doc_version < a.version
