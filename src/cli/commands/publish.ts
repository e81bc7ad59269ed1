import type { Command } from 'commander';
import { SUPPORTED_TYPES } from '../../documents/formats/index.ts';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';

interface PublishOptions {
  job?: string;
  priority: string;
  json?: boolean;
  progress?: boolean;
  idPrefix?: string;
  sync?: boolean;
  strict?: boolean;
}

export function registerPublish(program: Command): void {
  program
    .command('publish')
    .description('publish documents to era.raw (or era.raw.priority) under a job id')
    .argument('<paths...>', `files or folders (${SUPPORTED_TYPES}), or - for JSON lines on stdin`)
    .option('--job <id>', 'job id (default: a new one, printed)')
    .option('--priority <level>', 'normal or high (high goes to era.raw.priority)', 'normal')
    .option('--id-prefix <prefix>', 'put before the id of every file, e.g. team-a/ (not before the ids .json/.jsonl documents name)')
    .option('--sync', 'also publish tombstones to era.raw for the documents of these folders whose files are gone (read from era.raw)')
    .option('--strict', 'a skipped file (unsupported type, hidden) is an error: exit 1')
    .option('--json', 'machine-readable summary')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', [
      '',
      'Files are read as `era-ingest run` reads them (same ids, same formats, same reports). Each record carries the',
      'headers era.job, era.published.at and era.trace. Files that fail are reported and not published (exit 1); skipped',
      'ones are reported (exit 1 with --strict); the rest are published. Follow the job with `era-ingest watch <job>`.',
    ].join('\n'))
    .action(async (paths: string[], options: PublishOptions) => {
      if (!['normal', 'high'].includes(options.priority)) throw new CliError(`--priority ${options.priority} is invalid: use normal or high`, EXIT.usage);
      if (options.sync && paths.includes('-')) throw new CliError('--sync needs files or folders, not stdin (-): it deletes what a folder no longer holds', EXIT.usage);
      const config = configFrom();
      const { publishCommand } = await import('../publish.ts');
      const summary = await publishCommand(paths, config, {
        jobId: options.job, priority: options.priority === 'high', progress: options.progress !== false && !options.json && process.stderr.isTTY === true,
        ...(options.idPrefix ? { idPrefix: options.idPrefix } : {}), sync: options.sync === true,
      });
      if (options.json) printJson(summary);
      else {
        process.stdout.write(`job ${summary.jobId}: published ${summary.published} documents to ${summary.topic}\n`);
        if (summary.deleted.length) process.stdout.write(`  published ${summary.deleted.length} tombstones for documents whose files are gone (--sync): ${summary.deleted.map((d) => d.id).join(', ')}\n`);
        for (const f of summary.skipped) process.stderr.write(`  skipped: ${f.origin}: ${f.reason}\n`);
        for (const f of summary.failures) process.stderr.write(`  not published: ${f.origin}: ${f.reason}\n`);
      }
      process.exitCode = summary.failures.length || (options.strict && summary.skipped.length) ? EXIT.failure : EXIT.ok;
    });
}
