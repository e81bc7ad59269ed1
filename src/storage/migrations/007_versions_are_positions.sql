-- Document versions are positions assigned by the pipeline, not publish times (README
-- "Guarantees"): the offset of a document's record in era.raw, or, for `era-ingest run`, the
-- next number of a per-document counter (document_versions below). Versions written by earlier
-- releases were publish times (ms epoch, far above any offset): they become -1, below every
-- position, so the next version of each document published after the upgrade becomes current.
-- Drain the pipeline before upgrading (every topic's lag at 0): a message published before the
-- upgrade and processed after it would carry a publish-time version.
UPDATE documents SET version = -1;
UPDATE chunks SET doc_version = -1;
UPDATE document_tombstones SET version = -1;

-- The in-process runner's version counter: the last version handed out per document.
CREATE TABLE document_versions (
  doc_id       text PRIMARY KEY,
  last_version bigint NOT NULL
);
