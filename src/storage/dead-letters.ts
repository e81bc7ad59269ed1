/**
 * Dead letters of the in-process runner (migration 006): one row per poison input, with the
 * error and the input message as its stage's codec writes it. The Kafka stages use era.dlq.
 */
import type { SqlClient } from './sql-client.ts';

export interface DeadLetterRow {
  stage: string;
  errorCode: string;
  errorMessage: string;
  docId?: string;
  origin?: string;
  jobId?: string;
  /** Message kind of `value` (the stage's input stream). */
  messageKind: string;
  value: Buffer | null;
  attempts: number;
  /** Of a raw dead letter: the version the pipeline gave the document (its value is the document alone). */
  docVersion?: number;
}

export interface StoredDeadLetter extends DeadLetterRow {
  id: number;
  failedAt: Date;
  /** When it was last handed back to the runner (replay), if ever. */
  replayedAt?: Date;
}

export interface DeadLetterFilter {
  stage?: string;
  code?: string;
}

/** Records dead letters in one statement. */
export async function recordDeadLetters(client: SqlClient, rows: readonly DeadLetterRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO dead_letters (stage, error_code, error_message, doc_id, origin, job_id, message_kind, value, attempts, doc_version)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::int[], $10::bigint[])`,
    [rows.map((r) => r.stage), rows.map((r) => r.errorCode), rows.map((r) => r.errorMessage.slice(0, 1000)), rows.map((r) => r.docId ?? null), rows.map((r) => r.origin ?? null),
      rows.map((r) => r.jobId ?? null), rows.map((r) => r.messageKind), rows.map((r) => r.value), rows.map((r) => r.attempts), rows.map((r) => r.docVersion ?? null)]);
}

interface Row {
  id: string; stage: string; error_code: string; error_message: string; doc_id: string | null; origin: string | null; job_id: string | null;
  message_kind: string; value: Buffer | Uint8Array | null; attempts: number; failed_at: Date; doc_version: string | number | null; replayed_at: Date | null;
}

const COLUMNS = 'id, stage, error_code, error_message, doc_id, origin, job_id, message_kind, value, attempts, failed_at, doc_version, replayed_at';

function fromRow(r: Row): StoredDeadLetter {
  return {
    id: Number(r.id), stage: r.stage, errorCode: r.error_code, errorMessage: r.error_message,
    ...(r.doc_id !== null ? { docId: r.doc_id } : {}), ...(r.origin !== null ? { origin: r.origin } : {}), ...(r.job_id !== null ? { jobId: r.job_id } : {}),
    messageKind: r.message_kind, value: r.value === null ? null : Buffer.from(r.value), attempts: Number(r.attempts), failedAt: new Date(r.failed_at),
    ...(r.doc_version !== null ? { docVersion: Number(r.doc_version) } : {}), ...(r.replayed_at !== null ? { replayedAt: new Date(r.replayed_at) } : {}),
  };
}

/** Dead letters, oldest first, optionally of one stage and error code. */
export async function listDeadLetterRows(client: SqlClient, filter: DeadLetterFilter = {}, limit = 100): Promise<StoredDeadLetter[]> {
  const { rows } = await client.query<Row>(
    `SELECT ${COLUMNS} FROM dead_letters
     WHERE ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR error_code = $2) ORDER BY id LIMIT $3`,
    [filter.stage ?? null, filter.code ?? null, limit]);
  return rows.map(fromRow);
}

/**
 * Takes the dead letters to replay, oldest first, and marks them replayed in the same statement:
 * those matching `filter` not replayed yet, or every matching one with `all` (the rules of
 * `era-ingest dlq replay`). `skipped` counts the letters the replay passed over (not matching
 * the filter), as the Kafka replay counts the records it read and did not re-publish.
 */
export async function takeDeadLettersForReplay(client: SqlClient, filter: DeadLetterFilter, { all }: { all: boolean }): Promise<{ letters: StoredDeadLetter[]; skipped: number }> {
  return client.transaction(async (tx) => {
    const { rows } = await tx.query<Row>(
      `UPDATE dead_letters SET replayed_at = now()
       WHERE ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR error_code = $2) AND ($3::boolean OR replayed_at IS NULL)
       RETURNING ${COLUMNS}`,
      [filter.stage ?? null, filter.code ?? null, all]);
    const { rows: [other] } = await tx.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM dead_letters
       WHERE NOT (($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR error_code = $2)) AND ($3::boolean OR replayed_at IS NULL)`,
      [filter.stage ?? null, filter.code ?? null, all]);
    return { letters: rows.map(fromRow).sort((a, b) => a.id - b.id), skipped: Number(other?.n ?? 0) };
  });
}

/** How many dead letters the store holds (replayed ones included). */
export async function deadLetterCount(client: SqlClient): Promise<number> {
  const { rows: [row] } = await client.query<{ n: number | string }>('SELECT count(*) AS n FROM dead_letters');
  return Number(row!.n);
}
