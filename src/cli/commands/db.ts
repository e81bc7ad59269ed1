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
      const [{ createPgClient }, { migrate }] = await Promise.all([import('../../storage/pg-client.ts'), import('../../storage/migrate.ts')]);
      const client = createPgClient(config.databaseUrl, { max: 1 });
      try {
        const result = await migrate(client, { dimension: config.embedDim });
        if (options.json) printJson(result);
        else process.stdout.write(result.applied.length ? `applied ${result.applied.join(', ')} (embedding dimension ${result.dimension})\n` : `schema up to date (embedding dimension ${result.dimension})\n`);
      } finally {
        await client.close();
      }
    });
}
