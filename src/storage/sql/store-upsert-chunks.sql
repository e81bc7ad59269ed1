-- Multi-row upsert of pending chunks (one statement per slice of the batch, no per-row round
-- trips). Ids are unique within a statement (deduplicated before). A chunk stored again keeps
-- the highest document version that carried it (identical content, same chunk id).
-- $1 chunk_id, $2 doc_id, $3 content_hash, $4 doc_version, $5 seq, $6 text, $7 token_count,
-- $8 heading_path (JSON array text), $9 embedding (vector text), $10 model, $11 minister_id,
-- $12 category, $13 now (ms).
INSERT INTO chunks (chunk_id, doc_id, content_hash, doc_version, seq, text, token_count, heading_path,
                    embedding, model, minister_id, category, updated_at)
SELECT u.chunk_id, u.doc_id, u.content_hash, u.doc_version, u.seq, u.text, u.token_count,
       ARRAY(SELECT jsonb_array_elements_text(u.heading_path::jsonb)),
       u.embedding::vector, u.model, u.minister_id, u.category, to_timestamp($13::float8 / 1000)
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[], $7::int[],
            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
  AS u(chunk_id, doc_id, content_hash, doc_version, seq, text, token_count, heading_path, embedding,
       model, minister_id, category)
ON CONFLICT (chunk_id) DO UPDATE SET
  doc_id = excluded.doc_id,
  content_hash = excluded.content_hash,
  doc_version = GREATEST(chunks.doc_version, excluded.doc_version),
  seq = excluded.seq,
  text = excluded.text,
  token_count = excluded.token_count,
  heading_path = excluded.heading_path,
  embedding = excluded.embedding,
  model = excluded.model,
  minister_id = excluded.minister_id,
  category = excluded.category,
  updated_at = excluded.updated_at
