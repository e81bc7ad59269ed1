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
}

export interface StoredDeadLetter extends DeadLetterRow {
  id: number;
  failedAt: Date;
}

/** Records dead letters in one statement. */
export async function recordDeadLetters(client: SqlClient, rows: readonly DeadLetterRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO dead_letters (stage, error_code, error_message, doc_id, origin, job_id, message_kind, value, attempts)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::int[])`,
    [rows.map((r) => r.stage), rows.map((r) => r.errorCode), rows.map((r) => r.errorMessage.slice(0, 1000)), rows.map((r) => r.docId ?? null), rows.map((r) => r.origin ?? null),
      rows.map((r) => r.jobId ?? null), rows.map((r) => r.messageKind), rows.map((r) => r.value), rows.map((r) => r.attempts)]);
}

/** Dead letters, oldest first, optionally of one stage and error code. */
export async function listDeadLetterRows(client: SqlClient, filter: { stage?: string; code?: string } = {}, limit = 100): Promise<StoredDeadLetter[]> {
  const { rows } = await client.query<{ id: string; stage: string; error_code: string; error_message: string; doc_id: string | null; origin: string | null; job_id: string | null; message_kind: string; value: Buffer | Uint8Array | null; attempts: number; failed_at: Date }>(
    `SELECT id, stage, error_code, error_message, doc_id, origin, job_id, message_kind, value, attempts, failed_at FROM dead_letters
     WHERE ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR error_code = $2) ORDER BY id LIMIT $3`,
    [filter.stage ?? null, filter.code ?? null, limit]);
  return rows.map((r) => ({
    id: Number(r.id), stage: r.stage, errorCode: r.error_code, errorMessage: r.error_message,
    ...(r.doc_id !== null ? { docId: r.doc_id } : {}), ...(r.origin !== null ? { origin: r.origin } : {}), ...(r.job_id !== null ? { jobId: r.job_id } : {}),
    messageKind: r.message_kind, value: r.value === null ? null : Buffer.from(r.value), attempts: Number(r.attempts), failedAt: new Date(r.failed_at),
  }));
}
