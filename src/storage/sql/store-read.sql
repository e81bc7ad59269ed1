-- State of the batch's documents, read after their locks are held. $1: text[] of document ids.
SELECT p.doc_id, d.version, d.content_hash, d.chunk_count, t.version AS tombstone
FROM unnest($1::text[]) AS p(doc_id)
LEFT JOIN documents d ON d.doc_id = p.doc_id
LEFT JOIN document_tombstones t ON t.doc_id = p.doc_id
