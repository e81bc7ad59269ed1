-- Dead letters of the in-process runner (era-ingest run): there is no DLQ topic in one process,
-- so a poison input is recorded here, with the error and the input message as its stage's
-- codec writes it (JSON), instead of aborting the run. The Kafka stages use era.dlq.
CREATE TABLE dead_letters (
  id            bigserial PRIMARY KEY,
  stage         text NOT NULL,
  error_code    text NOT NULL,
  error_message text NOT NULL,
  doc_id        text,
  origin        text,
  job_id        text,
  message_kind  text NOT NULL,
  value         bytea,
  attempts      integer NOT NULL DEFAULT 1,
  failed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_stage_idx ON dead_letters (stage, error_code);
