-- Deletes the chunks a flip made obsolete (the previous current version, and pending versions
-- older than the new one), then applies the batch's minister aggregate changes as commutative
-- increments: + the new current chunks, - the replaced ones, - the deleted documents' chunks
-- (passed in from store-delete.sql). Minister rows are created on first use (name = id) and
-- locked in id order, so concurrent writers cannot deadlock on them. Runs last in the batch
-- transaction: the hot minister rows stay locked only until commit.
-- $1 doc_id, $2 new content_hash, $3 new version, $4 previous content_hash (or null);
-- $5 minister_id, $6 category, $7 embedding sum (vector text), $8 chunk count: removals;
-- $9 now (ms).
WITH plan AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
    AS p(doc_id, new_hash, new_version, old_hash)
), gone AS (
  DELETE FROM chunks c USING plan p
  WHERE c.doc_id = p.doc_id AND c.content_hash <> p.new_hash AND c.doc_version < p.new_version
  RETURNING c.doc_id, c.content_hash, c.minister_id, c.category, c.embedding
), contrib AS (
  SELECT c.minister_id, c.category, c.embedding AS e, 1::bigint AS n
  FROM chunks c JOIN plan p ON c.doc_id = p.doc_id AND c.content_hash = p.new_hash
  UNION ALL
  SELECT g.minister_id, g.category, (g.embedding - g.embedding) - g.embedding, -1::bigint
  FROM gone g JOIN plan p ON g.doc_id = p.doc_id AND g.content_hash = p.old_hash
  UNION ALL
  SELECT r.minister_id, r.category, (r.s::vector - r.s::vector) - r.s::vector, -r.n::bigint
  FROM unnest($5::text[], $6::text[], $7::text[], $8::int[]) AS r(minister_id, category, s, n)
), per_minister AS (
  SELECT minister_id, sum(e) AS s, sum(n)::bigint AS n FROM contrib GROUP BY minister_id
), ministers_upd AS (
  INSERT INTO ministers AS m (minister_id, name, entry_count, centroid_sum, updated_at)
  SELECT minister_id, minister_id, n, s, to_timestamp($9::float8 / 1000)
  FROM per_minister ORDER BY minister_id
  ON CONFLICT (minister_id) DO UPDATE SET
    entry_count = m.entry_count + excluded.entry_count,
    centroid_sum = CASE WHEN m.entry_count + excluded.entry_count <= 0 THEN NULL
                        ELSE COALESCE(m.centroid_sum + excluded.centroid_sum, excluded.centroid_sum) END,
    updated_at = excluded.updated_at
)
INSERT INTO minister_categories AS mc (minister_id, category, entry_count)
SELECT minister_id, category, sum(n) FROM contrib WHERE category IS NOT NULL
GROUP BY minister_id, category ORDER BY minister_id, category
ON CONFLICT (minister_id, category) DO UPDATE SET entry_count = mc.entry_count + excluded.entry_count
