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
}
