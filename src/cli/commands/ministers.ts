import type { Command } from 'commander';
import { CliError, configFrom, EXIT, printJson, DEFAULT_DATA_DIR } from '../context.ts';

interface ExportOptions {
  db?: string;
  dataDir?: string;
  pageSize: string;
  json?: boolean;
}

export function registerMinisters(program: Command): void {
  const ministers = program.command('ministers').description('minister knowledge bases');
  ministers
    .command('export')
    .description('write one folder per minister: profile.json and one JSON-lines file of current chunks per category')
    .argument('<dir>', 'folder to write into (created when missing)')
    .option('--db <url>', 'PostgreSQL to read (DATABASE_URL); default: PGlite in --data-dir')
    .option('--data-dir <dir>', 'PGlite data directory `era-ingest run` ingested into (one without a store is refused)', DEFAULT_DATA_DIR)
    .option('--page-size <n>', 'chunks read per query', '1000')
    .option('--json', 'machine-readable summary')
    .addHelpText('after', [
      '',
      '<dir>/<minister>/profile.json: id, name, description, entryCount, categories {category: count}, centroid, files.',
      '<dir>/<minister>/<category>.jsonl (uncategorised.jsonl without one): chunkId, docId, title, seq, text, headingPath.',
      'A category that is not a path-safe id ([a-z0-9][a-z0-9_-]{0,63}) is written to <slug>~<sha256 prefix>.jsonl;',
      'profile.json "files" maps each category to its file. Re-exporting replaces the earlier export\'s folders.',
    ].join('\n'))
    .action(async (dir: string, options: ExportOptions) => {
      const pageSize = Number(options.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100_000) {
        throw new CliError(`--page-size ${options.pageSize} is invalid: give a whole number from 1 to 100000`, EXIT.usage);
      }
      const config = configFrom({ databaseUrl: options.db });
      const [{ withStore }, { exportMinisters }] = await Promise.all([import('../open-store.ts'), import('../../storage/ministers-export.ts')]);
      const summary = await withStore({ url: config.databaseUrl, dataDir: options.dataDir }, config, (client) => exportMinisters(client, dir, { pageSize }));
      if (options.json) return printJson(summary);
      process.stdout.write(`exported ${summary.ministers} ministers, ${summary.files} files, ${summary.entries} entries to ${summary.dir}\n`);
      for (const s of summary.skipped) process.stderr.write(`  skipped minister ${JSON.stringify(s.ministerId)}: ${s.reason}\n`);
      if (summary.skippedEntries) process.stderr.write(`  ${summary.skippedEntries} chunks of skipped ministers were not written\n`);
    });
}
