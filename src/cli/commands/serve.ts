import type { Command } from 'commander';
import { CliError, configFrom, EXIT } from '../context.ts';

interface ServeOptions {
  port?: string;
  host?: string;
  db?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('HTTP API: POST /documents (publish to era.raw), GET /jobs[/:id], GET /search, /metrics, /healthz, /readyz')
    .option('--port <port>', 'port to listen on, 0 = any free port (API_PORT)')
    .option('--host <host>', 'interface to listen on (API_HOST)')
    .option('--db <url>', 'PostgreSQL with the job records and chunks (DATABASE_URL)')
    .addHelpText('after', [
      '',
      'Needs KAFKA_BROKERS and DATABASE_URL. Listens on 127.0.0.1 unless API_HOST/--host says otherwise; beyond loopback it',
      'refuses to start without API_TOKEN (or API_AUTH=none). With API_TOKEN set, every route but /healthz and /readyz needs',
      '`Authorization: Bearer <token>`. POST /documents takes a raw document, an array of them, or',
      '{ "documents": [...], "jobId"?: "...", "priority"?: "high" | "normal" } (Content-Type: application/json, at most',
      'API_MAX_BODY_BYTES); one invalid document and nothing is published (400 lists them); else 202 { jobId, accepted, topic }.',
      'SIGTERM/SIGINT: stop accepting, finish in-flight requests, disconnect, exit 0.',
    ].join('\n'))
    .action(async (options: ServeOptions) => {
      if (!process.env.KAFKA_BROKERS) throw new CliError('serve publishes to Kafka: set KAFKA_BROKERS to the brokers (host:port, comma-separated)', EXIT.usage);
      const config = configFrom({ apiPort: options.port, apiHost: options.host, databaseUrl: options.db });
      if (!config.databaseUrl) throw new CliError('serve records jobs and searches in PostgreSQL: set DATABASE_URL (or --db) to the database the store stage writes to', EXIT.usage);
      const { exposureProblem } = await import('../../api/exposure.ts');
      const problem = exposureProblem(config.apiHost, config);
      if (problem) throw new CliError(problem, EXIT.usage);
      const { runApiService } = await import('../../api/run-api-service.ts');
      process.exitCode = await runApiService({ config });
    });
}
