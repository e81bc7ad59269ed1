/**
 * Job status as the pipeline records it: one row per (job, document) with the furthest phase
 * reached. Phases only move forward (a redelivered message never moves a document back), except
 * that a failed document completes when its dead letter is replayed successfully.
 *
 * The phases are the dataflow's (src/dataflow/declare.ts: queued, one per stage, complete,
 * failed), passed in by the caller in order; they are stored by name.
 */
import type { SqlClient } from './sql-client.ts';

export type Phase = string;
/** The phases around the stages' own (src/dataflow/declare.ts puts each stage's between). */
export const QUEUED_PHASE = 'queued';
export const COMPLETE_PHASE = 'complete';
export const FAILED_PHASE = 'failed';

export interface PhaseUpdate {
  jobId: string;
  docId: string;
  phase: Phase;
  stage?: string;
  errorCode?: string;
  errorMessage?: string;
}

export interface JobSummary {
  jobId: string;
  submittedAt: Date;
  docCount: number;
  priority: boolean;
  /** Documents per phase, in phase order. */
  phases: Record<Phase, number>;
  /** Share of the job's documents that are complete or failed, 0..1. */
  done: number;
  failures: Array<{ docId: string; stage: string | null; code: string | null; message: string | null }>;
}

/** Records a submitted job (idempotent: a re-run adds to its document count). */
export async function recordJob(client: SqlClient, job: { jobId: string; docCount: number; priority: boolean; description?: string }): Promise<void> {
  await client.query(
    `INSERT INTO jobs (job_id, doc_count, priority, description) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job_id) DO UPDATE SET doc_count = jobs.doc_count + excluded.doc_count, updated_at = now()`,
    [job.jobId, job.docCount, job.priority, job.description ?? null]);
}

const rank = (phases: readonly Phase[], phase: Phase): number => {
  const i = phases.indexOf(phase);
  if (i < 0) throw new RangeError(`unknown job phase "${phase}": the phases are ${phases.join(', ')}`);
  return i;
};

/**
 * Applies phase updates in one statement; a document never moves to an earlier phase of
 * `phases` (but a failed one completes when its dead letter is replayed successfully).
 */
export async function recordPhases(client: SqlClient, updates: readonly PhaseUpdate[], phases: readonly Phase[]): Promise<void> {
  if (updates.length === 0) return;
  // Keep the furthest phase per (job, document) of this batch.
  const furthest = new Map<string, PhaseUpdate>();
  for (const u of updates) {
    const key = `${u.jobId}\u0000${u.docId}`;
    const seen = furthest.get(key);
    if (!seen || rank(phases, u.phase) > rank(phases, seen.phase)) furthest.set(key, u);
  }
  const rows = [...furthest.values()].sort((a, b) => (a.jobId + a.docId < b.jobId + b.docId ? -1 : 1));
  await client.query(
    `INSERT INTO job_documents (job_id, doc_id, phase, stage, error_code, error_message)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
     ON CONFLICT (job_id, doc_id) DO UPDATE
       SET phase = excluded.phase, stage = excluded.stage, error_code = excluded.error_code,
           error_message = excluded.error_message, updated_at = now()
     WHERE coalesce(array_position($7::text[], job_documents.phase), 0) < array_position($7::text[], excluded.phase)
        OR (job_documents.phase = $8 AND excluded.phase = $9)`,
    [rows.map((r) => r.jobId), rows.map((r) => r.docId), rows.map((r) => r.phase), rows.map((r) => r.stage ?? null), rows.map((r) => r.errorCode ?? null), rows.map((r) => r.errorMessage?.slice(0, 1000) ?? null),
      [...phases], FAILED_PHASE, COMPLETE_PHASE]);
}

/** The job's documents by phase (`phases` in order), with failure reasons; undefined for an unknown job. */
export async function jobSummary(client: SqlClient, jobId: string, phases: readonly Phase[], maxFailures = 100): Promise<JobSummary | undefined> {
  const { rows: [job] } = await client.query<{ job_id: string; submitted_at: Date; doc_count: number; priority: boolean }>('SELECT job_id, submitted_at, doc_count, priority FROM jobs WHERE job_id = $1', [jobId]);
  const { rows: counts } = await client.query<{ phase: string; n: number }>('SELECT phase, count(*)::int AS n FROM job_documents WHERE job_id = $1 GROUP BY phase', [jobId]);
  if (!job && counts.length === 0) return undefined;
  const byPhase: Record<Phase, number> = Object.fromEntries(phases.map((p) => [p, 0]));
  for (const c of counts) byPhase[c.phase] = (byPhase[c.phase] ?? 0) + Number(c.n);
  const recorded = Object.values(byPhase).reduce((a, b) => a + b, 0);
  const docCount = Math.max(Number(job?.doc_count ?? 0), recorded);
  byPhase[QUEUED_PHASE] = (byPhase[QUEUED_PHASE] ?? 0) + docCount - recorded; // published but not yet seen by any stage
  const { rows: failures } = await client.query<{ doc_id: string; stage: string | null; error_code: string | null; error_message: string | null }>(
    'SELECT doc_id, stage, error_code, error_message FROM job_documents WHERE job_id = $1 AND phase = $2 ORDER BY updated_at LIMIT $3', [jobId, FAILED_PHASE, maxFailures]);
  return {
    jobId,
    submittedAt: job?.submitted_at ?? new Date(0),
    docCount,
    priority: Boolean(job?.priority),
    phases: byPhase,
    done: docCount ? ((byPhase[COMPLETE_PHASE] ?? 0) + (byPhase[FAILED_PHASE] ?? 0)) / docCount : 0,
    failures: failures.map((f) => ({ docId: f.doc_id, stage: f.stage, code: f.error_code, message: f.error_message })),
  };
}

/** Most recent jobs, newest first. */
export async function recentJobs(client: SqlClient, phases: readonly Phase[], limit = 20): Promise<JobSummary[]> {
  const { rows } = await client.query<{ job_id: string }>('SELECT job_id FROM jobs ORDER BY submitted_at DESC LIMIT $1', [limit]);
  const out: JobSummary[] = [];
  for (const r of rows) {
    const summary = await jobSummary(client, r.job_id, phases, 5);
    if (summary) out.push(summary);
  }
  return out;
}
