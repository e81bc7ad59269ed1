import type { Command } from 'commander';
import { CliError, configFrom, EXIT } from '../context.ts';

interface ServeOptions {
  port?: string;
  host?: string;
  db?: string;
  dataDir?: string;
  create?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('HTTP API on any store: POST /documents, GET /documents/:id, /jobs[/:id], /search, /dead-letters (+ POST /dead-letters/replay), /ministers, /metrics, /healthz, /readyz')
    .option('--port <port>', 'port to listen on, 0 = any free port (API_PORT)')
    .option('--host <host>', 'interface to listen on (API_HOST)')
    .option('--db <url>', 'PostgreSQL: the pipeline\'s (with KAFKA_BROKERS), or the store of `run --db` (without) (DATABASE_URL)')
    .option('--data-dir <dir>', 'without KAFKA_BROKERS and --db/DATABASE_URL: the PGlite store of `era-ingest run` (default .era-data; refused when it holds none)')
    .option('--create', 'with --data-dir: create the store when the directory holds none (to fill it through POST /documents)')
    .addHelpText('after', [
      '',
      'Stores. With KAFKA_BROKERS, serve is the front of the stage services: POST /documents publishes to era.raw (or',
      'era.raw.priority), jobs and search come from DATABASE_URL (required), dead letters are era.dlq\'s. Without',
      'KAFKA_BROKERS, serve runs the pipeline itself on an embedded store, as `era-ingest run` does: PGlite in --data-dir',
      '(default .era-data), or PostgreSQL with --db/DATABASE_URL. Every POST /documents is queued into one in-process',
      'pipeline (answered 202 with the job id at once; GET /jobs/:id follows it to complete); what a stage rejects is in',
      'the store\'s dead_letters table (GET /dead-letters, POST /dead-letters/replay). A PGlite store is one process\'s:',
      'do not run `era-ingest run` on the same --data-dir while serve has it open.',
      '',
      'Listens on 127.0.0.1 unless API_HOST/--host says otherwise; beyond loopback it refuses to start without API_TOKEN',
      '(or API_AUTH=none). With API_TOKEN set, every route but /healthz and /readyz needs `Authorization: Bearer <token>`.',
      'POST /documents takes a raw document, an array of them, or { "documents": [...], "jobId"?: "...", "priority"?:',
      '"high" | "normal" } (Content-Type: application/json, at most API_MAX_BODY_BYTES); one invalid document and nothing',
      'is accepted (400 lists them); else 202 { jobId, accepted, topic } (Kafka) or { jobId, accepted, store }.',
      '',
      'SIGTERM/SIGINT: stop accepting, finish in-flight requests; on an embedded store, finish the queued documents',
      'within SHUTDOWN_TIMEOUT_MS (those not stored by then are recorded as failed in their job: submit them again);',
      'disconnect, exit 0.',
    ].join('\n'))
    .action(async (options: ServeOptions) => {
      const config = configFrom({ apiPort: options.port, apiHost: options.host, databaseUrl: options.db });
      const kafka = Boolean(process.env.KAFKA_BROKERS);
      if (kafka && options.dataDir !== undefined) {
        throw new CliError('--data-dir serves an embedded store, but KAFKA_BROKERS is set (serve then fronts the stage services and their PostgreSQL): unset KAFKA_BROKERS to serve the data directory, or drop --data-dir', EXIT.usage);
      }
      if (kafka && !config.databaseUrl) throw new CliError('serve records jobs and searches in PostgreSQL: set DATABASE_URL (or --db) to the database the store stage writes to', EXIT.usage);
      if (options.create && (kafka || config.databaseUrl)) throw new CliError('--create makes a PGlite store in --data-dir; it does not apply with KAFKA_BROKERS or --db/DATABASE_URL', EXIT.usage);
      const { exposureProblem } = await import('../../api/exposure.ts');
      const problem = exposureProblem(config.apiHost, config);
      if (problem) throw new CliError(problem, EXIT.usage);
      const { runApiService } = await import('../../api/run-api-service.ts');
      if (kafka) {
        process.exitCode = await runApiService({ config });
        return;
      }
      const [{ openStore, requireStore, DEFAULT_DATA_DIR }, { retry }, { retryPolicyFor }] = await Promise.all([
        import('../open-store.ts'), import('../../engine/backoff.ts'), import('../../config/presets.ts'),
      ]);
      const store = { ...(config.databaseUrl ? { url: config.databaseUrl } : {}), dataDir: options.dataDir ?? DEFAULT_DATA_DIR, create: options.create === true };
      requireStore(store);
      process.exitCode = await runApiService({
        config,
        embedded: {
          // serve embeds queries and documents: the model is asked for its dimension before the store is touched; a server still starting is waited for.
          open: (signal) => openStore(store, config, {
            verify: true,
            retry: async (probe) => (await retry(probe, retryPolicyFor(config), {
              signal,
              onRetry: (error, attempt, delayMs) => process.stderr.write(`era-ingest: waiting for the embedder: ${(error as Error).message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})\n`),
            })).value,
            signal,
          }),
        },
      });
    });
}
