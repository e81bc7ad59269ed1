-- Per-document advisory locks for the batch transaction, taken in ascending key order so two
-- writers with overlapping batches cannot deadlock. $1: text[] of document ids.
SELECT count(pg_advisory_xact_lock(k)) AS locked
FROM (SELECT DISTINCT hashtextextended(d, 0) AS k FROM unnest($1::text[]) AS d ORDER BY k) AS keys
