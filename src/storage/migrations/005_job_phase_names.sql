-- Job phases by name (era-ingest status): the phases derive from the dataflow declaration
-- (queued, one per stage, complete, failed), so a new stage must not shift stored numbers.
-- Order comparisons take the phase list as a parameter (src/storage/jobs.ts).
DROP INDEX IF EXISTS job_documents_phase_idx;
ALTER TABLE job_documents ALTER COLUMN phase TYPE text
  USING (ARRAY['queued', 'chunking', 'embedding', 'aggregation', 'storage', 'complete', 'failed'])[phase + 1];
CREATE INDEX job_documents_phase_idx ON job_documents (job_id, phase);
