import type { Command } from 'commander';
import { configFrom, EXIT, printJson } from '../context.ts';

interface DeleteOptions {
  dataDir?: string;
  db?: string;
  job?: string;
  json?: boolean;
}

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete documents by id: from the embedded store (--data-dir/--db), or by tombstones on era.raw (Kafka)')
    .argument('<ids...>', 'document ids, as `search` shows them (e.g. finance/budget.md)')
    .option('--data-dir <dir>', 'delete from the embedded store of `era-ingest run` (PGlite) in this directory (refused when it holds none)')
    .option('--db <url>', 'delete from the store of `era-ingest run --db` in this PostgreSQL')
    .option('--job <id>', 'job id recorded with the deletions')
    .option('--json', 'machine-readable summary')
    .addHelpText('after', [
      '',
      'With --data-dir or --db the deletions go through the in-process stages into that store, like a tombstone on',
      'era.raw; an id that is not a current document is reported (exit 1). Without them a tombstone per id is published',
      'to era.raw, and the pipeline deletes the documents everywhere (the pipeline\'s PostgreSQL is not changed directly,',
      'so a replay of the compacted era.raw cannot bring them back).',
    ].join('\n'))
    .action(async (ids: string[], options: DeleteOptions) => {
      if (options.dataDir !== undefined || options.db !== undefined) {
        const config = configFrom({ databaseUrl: options.db });
        const { deleteEmbeddedCommand } = await import('../run-embedded.ts');
        const summary = await deleteEmbeddedCommand(ids, config, { ...(options.db ? { url: config.databaseUrl } : {}), ...(options.dataDir ? { dataDir: options.dataDir } : {}) }, { ...(options.job ? { jobId: options.job } : {}) });
        const result = { jobId: summary.jobId, store: summary.store, deleted: summary.deleted.map((d) => d.id), unknown: summary.unknown, ...(summary.error ? { error: summary.error } : {}) };
        if (options.json) printJson(result);
        else {
          process.stdout.write(`deleted ${result.deleted.length} documents from ${result.store}${result.deleted.length ? `: ${result.deleted.join(', ')}` : ''}\n`);
          if (result.unknown.length) process.stderr.write(`  not found (no current document with this id): ${result.unknown.join(', ')}\n`);
          if (summary.error) process.stderr.write(`  stopped before the end: ${summary.error}\n`);
        }
        process.exitCode = summary.errorCode === 'CONFIG_INVALID' ? EXIT.usage : summary.error || result.unknown.length || summary.failures.length ? EXIT.failure : EXIT.ok;
        return;
      }
      const config = configFrom();
      const [{ checkKafkaTls }, { publishTombstones }] = await Promise.all([import('../../kafka/preflight.ts'), import('../publish.ts')]);
      await checkKafkaTls(config);
      const result = await publishTombstones(ids, config, options.job);
      if (options.json) printJson(result);
      else process.stdout.write(`job ${result.jobId}: published ${result.published} tombstones to ${result.topic}\n`);
    });
}
