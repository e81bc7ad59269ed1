import type { Command } from 'commander';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('database administration');
  db.command('migrate')
    .description('apply the numbered SQL migrations (idempotent; safe to run from several processes at once)')
    .option('--db <url>', 'PostgreSQL to migrate (DATABASE_URL)')
    .option('--json', 'machine-readable output')
    .action(async (options: { db?: string; json?: boolean }) => {
      const config = configFrom({ databaseUrl: options.db });
      if (!config.databaseUrl) throw new CliError('set DATABASE_URL (or --db) to the PostgreSQL with pgvector to migrate', EXIT.usage);
      const [{ createPgClient }, { migrate, readDimension, schemaSettings }, { settleConfig }] = await Promise.all([
        import('../../storage/pg-client.ts'), import('../../storage/migrate.ts'), import('../../embedding/dimension.ts')]);
      const client = createPgClient(config.databaseUrl, { max: 1 });
      try {
        const settled = await settleConfig(config, { verify: false, stored: () => readDimension(client) });
        const result = await migrate(client, schemaSettings(settled));
        if (options.json) printJson(result);
        else process.stdout.write(result.applied.length ? `applied ${result.applied.join(', ')} (embedding dimension ${result.dimension})\n` : `schema up to date (embedding dimension ${result.dimension})\n`);
      } finally {
        await client.close();
      }
    });
  db.command('reindex')
    .description('rebuild the HNSW index on chunks.embedding with HNSW_M / HNSW_EF_CONSTRUCTION, online (CREATE INDEX CONCURRENTLY, then a swap)')
    .option('--db <url>', 'PostgreSQL of the pipeline (DATABASE_URL)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nSearch and the store stage keep working meanwhile; the build takes one core for a while on a large table.')
    .action(async (options: { db?: string; json?: boolean }) => {
      const config = configFrom({ databaseUrl: options.db });
      if (!config.databaseUrl) throw new CliError('set DATABASE_URL (or --db) to the PostgreSQL with pgvector whose index to rebuild', EXIT.usage);
      const [{ createPgClient }, { rebuildVectorIndex, schemaSettings }, { prepareStore }] = await Promise.all([
        import('../../storage/pg-client.ts'), import('../../storage/migrate.ts'), import('../../storage/prepare-store.ts')]);
      const client = createPgClient(config.databaseUrl, { max: 1 });
      try {
        const settings = schemaSettings(await prepareStore(client, config, { verify: false }));
        const started = Date.now();
        const definition = await rebuildVectorIndex(client, settings.hnsw);
        const result = { definition, seconds: (Date.now() - started) / 1000 };
        if (options.json) printJson(result);
        else process.stdout.write(`${definition} (${result.seconds.toFixed(1)} s)\n`);
      } finally {
        await client.close();
      }
    });
  db.command('bulk-load')
    .description('bulk mode for a backfill or replay: `begin` drops the HNSW index (search scans exactly meanwhile), `end` builds it with parallel workers and swaps it in')
    .argument('<step>', 'begin or end')
    .option('--db <url>', 'PostgreSQL of the pipeline (DATABASE_URL)')
    .option('--workers <n>', 'end: parallel maintenance workers for the index build (max_parallel_maintenance_workers)', '2')
    .option('--memory <size>', 'end: maintenance_work_mem for the build (the HNSW graph should fit in it)', '1GB')
    .option('--json', 'machine-readable output')
    .addHelpText('after', [
      '',
      'A backfill:  era-ingest db bulk-load begin   then publish or `era-ingest replay`, wait for `era-ingest status`',
      '             to say complete, then   era-ingest db bulk-load end',
      'Without the index every stored chunk skips the index upkeep (the larger part of the store\'s database CPU);',
      'search returns the same hits meanwhile, by an exact scan that is slower on a large table.',
    ].join('\n'))
    .action(async (step: string, options: { db?: string; workers: string; memory: string; json?: boolean }) => {
      if (step !== 'begin' && step !== 'end') throw new CliError(`bulk-load ${JSON.stringify(step)}: the step is begin or end`, EXIT.usage);
      const workers = Number(options.workers);
      if (!Number.isInteger(workers) || workers < 0 || workers > 64) throw new CliError(`--workers ${options.workers} is invalid: use an integer from 0 to 64`, EXIT.usage);
      if (!/^\d+\s*(kB|MB|GB|TB)$/.test(options.memory.trim())) throw new CliError(`--memory ${options.memory} is invalid: use a PostgreSQL size such as 512MB or 2GB`, EXIT.usage);
      const config = configFrom({ databaseUrl: options.db });
      if (!config.databaseUrl) throw new CliError('set DATABASE_URL (or --db) to the PostgreSQL of the pipeline: the embedded store already loads without the index and builds it after each run', EXIT.usage);
      const [{ createPgClient }, { schemaSettings }, { prepareStore }, { beginBulkLoad, finishBulkLoad }] = await Promise.all([
        import('../../storage/pg-client.ts'), import('../../storage/migrate.ts'), import('../../storage/prepare-store.ts'), import('../../storage/bulk-load.ts')]);
      const client = createPgClient(config.databaseUrl, { max: 1 });
      try {
        const settings = schemaSettings(await prepareStore(client, config, { verify: false }));
        if (step === 'begin') {
          const state = await beginBulkLoad(client);
          if (options.json) printJson({ step, since: new Date(state.since!).toISOString(), indexed: state.indexed });
          else process.stdout.write(`bulk load since ${new Date(state.since!).toISOString()}: vector index dropped; search scans exactly until \`era-ingest db bulk-load end\`\n`);
        } else {
          const done = await finishBulkLoad(client, settings.hnsw, { workers, memory: options.memory.trim() });
          const since = done.since !== undefined ? new Date(done.since).toISOString() : undefined;
          if (options.json) printJson({ step, definition: done.definition, seconds: done.seconds, workers, ...(since ? { since } : {}) });
          else process.stdout.write(`${done.definition} (${done.seconds.toFixed(1)} s, ${workers} parallel workers)${since ? `; bulk load since ${since} ended` : '; no bulk load was in progress'}\n`);
        }
      } finally {
        await client.close();
      }
    });
}
