-- Vector sets of other embedding models, built by `era-ingest reembed --model <m>` while search
-- keeps answering from chunks.embedding. `vector` without a dimension, because another model
-- may have another one; each model gets its own partial HNSW index over
-- (embedding::vector(<dimension>)) WHERE model = '<m>', built once the set is loaded
-- (src/storage/model-vectors.ts). Rows of a chunk go when the chunk goes (new version,
-- tombstone): the store stage needs no change.
-- state: building (being filled; searchable but incomplete) or ready (every current chunk had a
-- vector of this model when the last reembed pass ended, and the index exists).
CREATE TABLE embedding_models (
  model          text PRIMARY KEY,
  dimension      integer NOT NULL CHECK (dimension BETWEEN 1 AND 16000),
  state          text NOT NULL CHECK (state IN ('building', 'ready')),
  consumer_group text NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  ready_at       timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chunk_vectors (
  chunk_id   text NOT NULL REFERENCES chunks (chunk_id) ON DELETE CASCADE,
  model      text NOT NULL REFERENCES embedding_models (model) ON DELETE CASCADE,
  embedding  vector NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (chunk_id, model)
);
CREATE INDEX chunk_vectors_model_idx ON chunk_vectors (model);
