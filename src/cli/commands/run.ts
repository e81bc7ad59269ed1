import type { Command } from 'commander';
import { configFrom, EXIT, printJson } from '../context.ts';

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
    .option('--embedder <name>', 'hash (lexical, built in) or ollama (EMBEDDER)')
    .option('--job <id>', 'job id recorded with the documents')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', '\nRe-running on the same files changes nothing and embeds nothing. A bad file is reported and skipped;\nthe exit code is 1 only when no document could be ingested.')
    .action(async (paths: string[], options: RunOptions) => {
      const config = configFrom({ databaseUrl: options.db, embedder: options.embedder });
      const { runEmbeddedCommand, formatSummary } = await import('../run-embedded.ts');
      const summary = await runEmbeddedCommand(paths, config, { url: config.databaseUrl, dataDir: options.dataDir }, { jobId: options.job, progress: options.progress !== false && !options.json && process.stderr.isTTY === true });
      if (options.json) printJson(summary);
      else process.stdout.write(`${formatSummary(summary, config.embedder === 'hash')}\n`);
      process.exitCode = summary.documents === 0 && summary.failures.length > 0 ? EXIT.failure : EXIT.ok;
    });
}
