import type { Command } from 'commander';
import { FAILED_PHASE, type JobSummary } from '../../storage/jobs.ts';
import { PIPELINE } from '../../dataflow/pipeline.ts';
import type { SqlClient } from '../../storage/sql-client.ts';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';
import { DEFAULT_DATA_DIR } from '../open-store.ts';

interface StatusOptions {
  db?: string;
  dataDir?: string;
  json?: boolean;
  interval?: string;
}

function render(job: JobSummary): string {
  const pct = (n: number): string => (job.docCount ? `${((100 * n) / job.docCount).toFixed(1)}%` : '-');
  const lines = [`job ${job.jobId}${job.priority ? ' (priority)' : ''}: ${job.docCount} documents, ${(job.done * 100).toFixed(1)}% done, submitted ${job.submittedAt.toISOString()}`];
  for (const [phase, n] of Object.entries(job.phases)) lines.push(`  ${phase.padEnd(12)} ${String(n).padStart(8)}  ${pct(n).padStart(6)}`);
  if (job.failures.length) {
    lines.push('  failures:');
    for (const f of job.failures) lines.push(`    ${f.docId} [${f.stage ?? '?'}] ${f.code ?? ''}: ${f.message ?? ''}`);
  }
  return lines.join('\n');
}

/**
 * Runs `fn` on the store with the job records: the pipeline's PostgreSQL (--db, DATABASE_URL),
 * else the embedded store `era-ingest run` wrote in --data-dir (refused when it holds none).
 */
async function withJobs<T>(options: StatusOptions, fn: (client: SqlClient, where: string) => Promise<T>, { embedded = true } = {}): Promise<T> {
  const config = configFrom({ databaseUrl: options.db });
  if (!config.databaseUrl && !embedded) {
    throw new CliError('watch follows a job the stages are working on, in their PostgreSQL: set DATABASE_URL (or --db). A job of `era-ingest run` is done when run returns: era-ingest status <jobId> [--data-dir <dir>] shows it', EXIT.usage);
  }
  const { withStore } = await import('../open-store.ts');
  return withStore({ url: config.databaseUrl, dataDir: options.dataDir }, config, (client, { where }) => fn(client, where));
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(`show a job's documents by phase (${PIPELINE.phases.join(', ')}); without a job id, recent jobs`)
    .argument('[jobId]', 'job id printed by publish or run')
    .option('--db <url>', 'PostgreSQL with the job records (DATABASE_URL): the pipeline\'s, or that of `run --db`')
    .option('--data-dir <dir>', 'without --db/DATABASE_URL: the embedded store `era-ingest run` recorded its jobs in (PGlite)', DEFAULT_DATA_DIR)
    .option('--json', 'machine-readable output')
    .action(async (jobId: string | undefined, options: StatusOptions) => {
      const { jobSummary, recentJobs } = await import('../../storage/jobs.ts');
      await withJobs(options, async (client, where) => {
        if (!jobId) {
          const jobs = await recentJobs(client, PIPELINE.phases);
          if (options.json) return printJson(jobs);
          if (jobs.length === 0) process.stdout.write(`no jobs recorded in ${where}\n`);
          for (const j of jobs) process.stdout.write(`${j.jobId}  ${String(j.docCount).padStart(7)} docs  ${(j.done * 100).toFixed(1).padStart(5)}% done  ${j.phases.failed} failed  ${j.submittedAt.toISOString()}\n`);
          return;
        }
        const job = await jobSummary(client, jobId, PIPELINE.phases);
        if (!job) throw new CliError(`no job ${jobId} is recorded in ${where} (is it the store the job went to? --db / DATABASE_URL for the pipeline's PostgreSQL, --data-dir for run's)`);
        if (options.json) printJson(job);
        else process.stdout.write(`${render(job)}\n`);
      });
    });

  program
    .command('watch')
    .description('follow a job until every document is complete or failed')
    .argument('<jobId>', 'job id printed by publish or run')
    .option('--db <url>', 'PostgreSQL with the job records (DATABASE_URL)')
    .option('--interval <ms>', 'refresh interval', '1000')
    .option('--json', 'print one JSON line per refresh')
    .action(async (jobId: string, options: StatusOptions) => {
      const interval = Number(options.interval);
      if (!Number.isFinite(interval) || interval < 100) throw new CliError(`--interval ${options.interval} is invalid: give milliseconds ≥ 100`, EXIT.usage);
      const { jobSummary } = await import('../../storage/jobs.ts');
      await withJobs(options, async (client) => {
        const tty = process.stdout.isTTY === true && !options.json;
        for (;;) {
          const job = await jobSummary(client, jobId, PIPELINE.phases);
          if (options.json) process.stdout.write(`${JSON.stringify(job ?? { jobId, unknown: true })}\n`);
          else if (job) process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${render(job)}\n`);
          else process.stdout.write(`waiting for job ${jobId} to be recorded…\n`);
          if (job && job.docCount > 0 && job.done >= 1) {
            process.exitCode = job.phases[FAILED_PHASE] ? EXIT.failure : EXIT.ok;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, interval));
        }
      }, { embedded: false });
    });
}
