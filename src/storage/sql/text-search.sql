-- Current chunks matching a text query (full-text search over chunks.search_vector, migration
-- 008), best first: ts_rank_cd (cover density: more of the query's terms, closer together,
-- in a heading rather than the body), ties by chunk id. The GIN index finds the matching chunks;
-- every match is ranked, then the passage of the returned ones only is cut by ts_headline (it
-- parses the text again, the costly part).
-- The configuration must be the column's (`english`, migration 008).
-- $1 query in websearch_to_tsquery syntax (./text-query.ts), $2 limit, $3 minister_id or null,
-- $4 category or null, $5 rank weights {D, C, B, A}, $6 source prefix or null, $7 metadata
-- (JSON object text) or null.
WITH q AS (SELECT websearch_to_tsquery('english', $1::text) AS query)
SELECT m.chunk_id, m.doc_id, m.title, m.source, m.metadata, m.text, m.minister_id, m.category, m.heading_path, m.score,
       -- Adjacent marks join: ERA-7731 is two lexemes, «ERA»«-7731» becomes «ERA-7731».
       replace(ts_headline('english', m.text, q.query,
                           'StartSel=«, StopSel=», MinWords=12, MaxWords=30, MaxFragments=2, FragmentDelimiter=" … "'), '»«', '') AS passage
FROM q, (
  SELECT c.chunk_id, c.doc_id, d.title, d.source, d.metadata, c.text, c.minister_id, c.category, c.heading_path,
         ts_rank_cd($5::float4[], c.search_vector, q.query) AS score
  FROM q, chunks c
  JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
  WHERE c.search_vector @@ q.query
    AND ($3::text IS NULL OR c.minister_id = $3::text)
    AND ($4::text IS NULL OR c.category = $4::text)
    AND ($6::text IS NULL OR starts_with(d.source, $6::text))
    AND ($7::text IS NULL OR d.metadata @> $7::text::jsonb)
  ORDER BY score DESC, c.chunk_id
  LIMIT $2::int
) m
ORDER BY m.score DESC, m.chunk_id
