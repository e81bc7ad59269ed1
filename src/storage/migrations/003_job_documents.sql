-- Per-document progress of ingestion jobs (era-ingest status / watch). Written by `publish`
-- (queued) and by every stage as its outputs become durable; the phase only moves forward.
-- phase: 0 queued, 1 chunking, 2 embedding, 3 aggregation, 4 storage, 5 complete, 6 failed.
CREATE TABLE job_documents (
  job_id        text NOT NULL,
  doc_id        text NOT NULL,
  phase         smallint NOT NULL,
  error_code    text,
  error_message text,
  stage         text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, doc_id)
);
CREATE INDEX job_documents_phase_idx ON job_documents (job_id, phase);
ALTER TABLE jobs ADD COLUMN description text;
