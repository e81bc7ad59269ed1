-- Full-text search over chunks, the text half of hybrid search (src/storage/text-search.ts).
--
-- search_vector is a STORED generated column rather than a column the store's upsert writes:
-- every writer of chunks (the store stage, run's store, a future COPY path, tests) gets it
-- without knowing it exists, it can never disagree with the text, and ADD COLUMN computes it
-- for the rows already stored. That ADD COLUMN rewrites the table and rebuilds its indexes
-- (the HNSW index too) under an exclusive lock: stop the stage services while migrating, as
-- for every migration. A nullable column backfilled by UPDATE would lock less but insert every
-- row again into the HNSW and GIN indexes one by one, which is slower than the rebuild.
--
-- Text configuration `english`: the corpus and the questions are English; stemming lets
-- "waiting times" match "wait" and stop words keep "the" out of the ranking. Identifiers are
-- unaffected by the choice: both configurations use the same parser, which keeps file paths,
-- dotted names, versions, e-mail addresses and hex numbers whole (`src/storage/search.ts`,
-- `era.dlq.error.code`, `v2.3.1`) and splits `DLQ_MAX_RATIO` into its words; the query is
-- parsed the same way, as a phrase. The query side names the same configuration
-- (sql/text-search.sql): keep them equal.
--
-- The heading path (the titles of the enclosing Markdown sections, outermost first) is
-- indexed with weight B, the chunk text with weight D, so a chunk whose section is about the
-- query ranks above one that mentions it in passing. array_to_string is only STABLE in
-- PostgreSQL's catalogue (it calls the element type's output function); for text[] it is
-- immutable, which is what a generation expression needs, hence the wrapper.
CREATE FUNCTION era_search_vector(heading_path text[], body text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(heading_path, ' '), '')), 'B')
            || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'D') $$;

ALTER TABLE chunks ADD COLUMN search_vector tsvector
  GENERATED ALWAYS AS (era_search_vector(heading_path, text)) STORED;
CREATE INDEX chunks_search_vector_gin ON chunks USING gin (search_vector);

-- Metadata filters (`--metadata '{"k":"v"}'`, JSON containment): jsonb_path_ops serves @> only,
-- and is smaller and faster than the default jsonb_ops for it.
CREATE INDEX documents_metadata_gin ON documents USING gin (metadata jsonb_path_ops);
