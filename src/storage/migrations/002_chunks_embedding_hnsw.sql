-- era:skip-on pglite
-- Approximate nearest-neighbour index for search. Skipped on PGlite, where inserting into an
-- HNSW-indexed table is ~16x slower (INFRA.md): there it is built after a bulk load by
-- ensureVectorIndex(), and search works by exact scan until then. Same name as there.
-- {{hnsw}} is the WITH clause of HNSW_M / HNSW_EF_CONSTRUCTION.
CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops) {{hnsw}};
