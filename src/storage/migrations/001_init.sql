-- era-ingest core schema (DESIGN.md §4). Applied once by migrate.ts inside its transaction;
-- {{dim}} is the embedding dimension (EMBED_DIM), recorded in era_meta.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE era_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO era_meta (key, value) VALUES ('embedding_dimension', '{{dim}}');

-- One row per document whose current version is visible. A version flip updates this row;
-- search only sees chunks whose content_hash equals documents.content_hash.
CREATE TABLE documents (
  doc_id       text PRIMARY KEY,
  version      bigint NOT NULL,
  content_hash text NOT NULL,
  title        text,
  source       text,
  minister_id  text,
  category     text,
  metadata     jsonb,
  chunk_count  integer NOT NULL,
  job_id       text,
  updated_at   timestamptz NOT NULL
);

-- Chunks of current and pending (incomplete, not yet flipped) document versions. No foreign
-- key to documents: a first version's chunks exist before its documents row does.
CREATE TABLE chunks (
  chunk_id     text PRIMARY KEY,
  doc_id       text NOT NULL,
  content_hash text NOT NULL,
  doc_version  bigint NOT NULL,
  seq          integer NOT NULL,
  text         text NOT NULL,
  token_count  integer NOT NULL,
  heading_path text[] NOT NULL DEFAULT '{}',
  embedding    vector({{dim}}) NOT NULL,
  model        text NOT NULL,
  minister_id  text NOT NULL,
  category     text,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX chunks_doc_version_idx ON chunks (doc_id, content_hash);
CREATE INDEX chunks_minister_idx ON chunks (minister_id, category);

-- Last deletion of each deleted document, so a late older version cannot resurrect it.
CREATE TABLE document_tombstones (
  doc_id     text PRIMARY KEY,
  version    bigint NOT NULL,
  deleted_at timestamptz NOT NULL
);

-- Divides a vector by a scalar (pgvector has no vector/scalar operators).
CREATE FUNCTION era_vector_div(v vector, d double precision) RETURNS vector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE WHEN d = 0 THEN NULL
                    ELSE (SELECT array_agg(x / d ORDER BY i)::vector FROM unnest(v::real[]) WITH ORDINALITY AS u(x, i)) END $$;

-- Minister profiles and aggregates over their current chunks. The aggregates are commutative
-- running sums maintained at flip/delete time, so no store process has to own a minister.
-- centroid_sum is NULL when entry_count is 0; centroid = centroid_sum / entry_count (note
-- that cosine distance to centroid_sum equals cosine distance to the centroid).
CREATE TABLE ministers (
  minister_id  text PRIMARY KEY,
  name         text NOT NULL,
  description  text,
  entry_count  bigint NOT NULL DEFAULT 0,
  centroid_sum vector({{dim}}),
  centroid     vector({{dim}}) GENERATED ALWAYS AS (era_vector_div(centroid_sum, entry_count::double precision)) STORED,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Current chunks per (minister, category); uncategorised chunks are counted only in ministers.
CREATE TABLE minister_categories (
  minister_id text NOT NULL,
  category    text NOT NULL,
  entry_count bigint NOT NULL,
  PRIMARY KEY (minister_id, category)
);

-- Ingestion jobs, for status/watch (filled by the job tracker).
CREATE TABLE jobs (
  job_id       text PRIMARY KEY,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  doc_count    integer NOT NULL DEFAULT 0,
  priority     boolean NOT NULL DEFAULT false,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
