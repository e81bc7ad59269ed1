import type { Command } from 'commander';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';

interface PublishOptions {
  job?: string;
  priority: string;
  json?: boolean;
  progress?: boolean;
}

export function registerPublish(program: Command): void {
  program
    .command('publish')
    .description('publish documents to era.raw (or era.raw.priority) under a job id')
    .argument('<paths...>', 'files or folders (.md, .txt, .json, .jsonl), or - for JSON lines on stdin')
    .option('--job <id>', 'job id (default: a new one, printed)')
    .option('--priority <level>', 'normal or high (high goes to era.raw.priority)', 'normal')
    .option('--json', 'machine-readable summary')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', '\nEach record carries the headers era.job, era.published.at and era.trace. Invalid inputs are reported\nand not published (exit 1); the valid ones are published. Follow the job with `era-ingest watch <job>`.')
    .action(async (paths: string[], options: PublishOptions) => {
      if (!['normal', 'high'].includes(options.priority)) throw new CliError(`--priority ${options.priority} is invalid: use normal or high`, EXIT.usage);
      const config = configFrom();
      const { publishCommand } = await import('../publish.ts');
      const summary = await publishCommand(paths, config, { jobId: options.job, priority: options.priority === 'high', progress: options.progress !== false && !options.json && process.stderr.isTTY === true });
      if (options.json) printJson(summary);
      else {
        process.stdout.write(`job ${summary.jobId}: published ${summary.published} documents to ${summary.topic}\n`);
        for (const f of summary.failures) process.stderr.write(`  not published: ${f.origin}: ${f.reason}\n`);
      }
      process.exitCode = summary.failures.length ? EXIT.failure : EXIT.ok;
    });
}
