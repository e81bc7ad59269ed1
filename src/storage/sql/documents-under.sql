-- Current documents whose source is one of the given URLs or lies below one of them (--sync:
-- the documents of the roots a run read). $1 text[] URLs, $2 text[] the same URLs ending in '/'.
SELECT d.doc_id, d.source
FROM documents d
WHERE d.source = ANY($1::text[])
   OR EXISTS (SELECT 1 FROM unnest($2::text[]) AS p(prefix) WHERE starts_with(d.source, p.prefix))
ORDER BY d.doc_id
