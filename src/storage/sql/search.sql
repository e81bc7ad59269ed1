-- Nearest current chunks to a query vector (cosine). The inner query orders chunks alone, so
-- the planner can walk the HNSW index (a join in the same query level makes it misestimate
-- the join and sort everything instead); it fetches a few extra candidates because the outer
-- join drops chunks of pending versions (search only sees each document's current version).
-- Without the index the inner query is an exact top-N scan.
-- $1 query (vector text), $2 k, $3 minister_id or null, $4 category or null, $5 candidates,
-- $6 source prefix or null, $7 metadata (JSON object text) or null, $8 model of the query
-- vector or null (chunks of another model are not comparable). The document_filter placeholder is the
-- predicate of $6/$7 on the chunks row (search-filters.ts).
SELECT c.chunk_id, c.doc_id, d.title, d.source, d.metadata, c.text, c.minister_id, c.category, c.heading_path,
       1 - c.distance AS score
FROM (
  SELECT chunk_id, doc_id, content_hash, text, minister_id, category, heading_path,
         embedding <=> $1::text::vector AS distance
  FROM chunks
  WHERE ($3::text IS NULL OR minister_id = $3::text)
    AND ($4::text IS NULL OR category = $4::text)
    AND ($8::text IS NULL OR model = $8::text)
    AND {{document_filter}}
  ORDER BY embedding <=> $1::text::vector
  LIMIT $5::int
) c
JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
ORDER BY c.distance, c.chunk_id
LIMIT $2::int
