import type { Command } from 'commander';
import { configFrom, printJson } from '../context.ts';

interface RunOptions {
  db?: string;
  dataDir?: string;
  embedder?: string;
  job?: string;
  json?: boolean;
  progress?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('ingest files and folders in one process (embedded mode): chunk, embed, route and store without Kafka')
    .argument('<paths...>', 'files or folders: .md, .txt, .json (raw format), .jsonl')
    .option('--db <url>', 'store into this PostgreSQL instead of PGlite (DATABASE_URL)')
    .option('--data-dir <dir>', 'PGlite data directory', '.era-data')
    .option('--embedder <name>', 'hash (lexical, built in), ollama or openai (EMBEDDER)')
    .option('--job <id>', 'job id recorded with the documents')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', [
      '',
      'Re-running on the same files changes nothing and embeds nothing. A file that cannot be read is reported and',
      'skipped; an input a stage rejects (e.g. a chunk the embedder refuses) is kept in the store\'s dead_letters table',
      'and reported. A dependency that fails (Ollama stopped) is retried with backoff for RETRY_DEADLINE_MS (default',
      '5 minutes), then the run stops and reports what it stored. Exit code 1 when a stage rejected an input, the run',
      'stopped early, or no document could be ingested; 0 otherwise.',
    ].join('\n'))
    .action(async (paths: string[], options: RunOptions) => {
      const config = configFrom({ databaseUrl: options.db, embedder: options.embedder });
      const { runEmbeddedCommand, formatSummary, runExitCode } = await import('../run-embedded.ts');
      const summary = await runEmbeddedCommand(paths, config, { url: config.databaseUrl, dataDir: options.dataDir }, { jobId: options.job, progress: options.progress !== false && !options.json && process.stderr.isTTY === true });
      if (options.json) printJson(summary);
      else process.stdout.write(`${formatSummary(summary, config.embedder === 'hash')}\n`);
      process.exitCode = runExitCode(summary);
    });
}
