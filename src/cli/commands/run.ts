import type { Command } from 'commander';
import { SUPPORTED_TYPES } from '../../documents/formats/index.ts';
import { configFrom, printJson, DEFAULT_DATA_DIR } from '../context.ts';

interface RunOptions {
  db?: string;
  dataDir?: string;
  embedder?: string;
  job?: string;
  json?: boolean;
  progress?: boolean;
  idPrefix?: string;
  sync?: boolean;
  strict?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('ingest files and folders in one process (embedded mode): chunk, embed, route and store without Kafka')
    .argument('<paths...>', `files or folders (${SUPPORTED_TYPES})`)
    .option('--db <url>', 'store into this PostgreSQL instead of PGlite (DATABASE_URL)')
    .option('--data-dir <dir>', 'PGlite data directory (created when missing)', DEFAULT_DATA_DIR)
    .option('--embedder <name>', 'hash (lexical, built in), ollama or openai (EMBEDDER)')
    .option('--job <id>', 'job id recorded with the documents (default: a new one); `era-ingest status <id>` shows it')
    .option('--id-prefix <prefix>', 'put before the id of every file, e.g. team-a/ (not before the ids .json/.jsonl documents name)')
    .option('--sync', 'also delete the stored documents of these folders whose files are gone (or now have another id)')
    .option('--strict', 'a skipped file (unsupported type, hidden) is an error: exit 1')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar (documents stored out of those to read; drawn on a terminal only)')
    .addHelpText('after', [
      '',
      'Ids: a file\'s id is its path relative to the folder named (run docs: docs/hr/leave.md → hr/leave.md), whatever',
      'the working directory; a file named on its own gets its base name. Documents remember their file in `source`, so',
      '--sync can delete those of a folder whose files were deleted or renamed. PDF pages become "# Page N" headings.',
      '',
      'Re-running on the same files changes nothing and embeds nothing. Every file is ingested or reported: skipped (not',
      'for era-ingest: an unsupported type in a folder, a hidden entry) or failed (over MAX_DOCUMENT_BYTES/MAX_FILE_BYTES,',
      'binary, does not parse, no text, unreadable, invalid). An input a stage rejects is kept in the store\'s dead_letters',
      'table and reported. A dependency that fails (Ollama stopped) is retried with backoff for RETRY_DEADLINE_MS (default',
      '5 minutes), then the run stops and reports what it stored.',
      '',
      'Exit code: 0 when everything was ingested or skipped; 1 when a file failed, a stage rejected an input or the run',
      'stopped early, and with --strict when a file was skipped; 2 on a usage or configuration error.',
    ].join('\n'))
    .action(async (paths: string[], options: RunOptions) => {
      const config = configFrom({ databaseUrl: options.db, embedder: options.embedder });
      const [{ runEmbeddedCommand }, { formatSummary, runExitCode }] = await Promise.all([import('../run-embedded.ts'), import('../run-summary.ts')]);
      const summary = await runEmbeddedCommand(paths, config, { url: config.databaseUrl, dataDir: options.dataDir }, {
        jobId: options.job, progress: options.progress !== false && !options.json && process.stderr.isTTY === true,
        ...(options.idPrefix ? { idPrefix: options.idPrefix } : {}), sync: options.sync === true,
      });
      if (options.json) printJson(summary);
      else process.stdout.write(`${formatSummary(summary, config.embedder === 'hash')}\n`);
      process.exitCode = runExitCode(summary, options.strict === true);
    });
}
