-- How many chunks of each candidate (doc_id, content_hash) are stored, and the version they
-- carry. Under the documents' locks this sees every committed writer's rows.
-- $1 doc ids, $2 content hashes (pairwise).
SELECT c.doc_id, c.content_hash, count(*)::int AS stored, max(c.doc_version) AS version
FROM chunks c
JOIN unnest($1::text[], $2::text[]) AS p(doc_id, content_hash)
  ON c.doc_id = p.doc_id AND c.content_hash = p.content_hash
GROUP BY c.doc_id, c.content_hash
