-- Replaying the in-process runner's dead letters (`POST /dead-letters/replay` of `serve` on the
-- embedded store), with the rules of `era-ingest dlq replay` on era.dlq:
-- replayed_at: when the letter was last handed back to the runner; a replay takes the letters
--   not replayed yet, unless told to take every one again (`all`), as the replay consumer
--   group's committed offset does for era.dlq.
-- doc_version: the version the pipeline gave a raw document that the first stage rejected (a
--   raw dead letter's value is the document alone), so a replayed document keeps its place in
--   the version order and never overtakes a version stored after it, as a replayed era.raw
--   record keeps its original offset. NULL for letters of later stages (their message carries
--   its version) and for letters recorded before this migration.
ALTER TABLE dead_letters ADD COLUMN doc_version bigint;
ALTER TABLE dead_letters ADD COLUMN replayed_at timestamptz;
