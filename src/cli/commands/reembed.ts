import type { Command } from 'commander';
import { CliError, configFrom, EXIT, printJson, DEFAULT_DATA_DIR } from '../context.ts';

interface ReembedCliOptions {
  model?: string;
  dim?: string;
  follow?: boolean;
  interval: string;
  list?: boolean;
  drop?: boolean;
  db?: string;
  dataDir: string;
  metricsPort?: string;
  json?: boolean;
  progress?: boolean;
}

const positiveInt = (flag: string, text: string, max: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${flag} ${text} is invalid: give a whole number from 1 to ${max}`, EXIT.usage);
  return n;
};

export function registerReembed(program: Command): void {
  program
    .command('reembed')
    .description('re-embed every stored chunk with another model, into a second vector set, while search keeps answering')
    .option('--model <name>', 'model to embed with (a model of the EMBEDDER=ollama|openai server; with EMBEDDER=hash, a label for the hash vectors)')
    .option('--dim <n>', 'vector length of that model (default: as registered, else EMBED_DIM)')
    .option('--follow', 'keep going: re-embed chunks the pipeline stores from now on, until SIGTERM')
    .option('--interval <seconds>', 'with --follow, seconds between passes', '10')
    .option('--metrics-port <port>', 'serve /metrics, /healthz, /readyz on this port (default with --follow: METRICS_PORT)')
    .option('--list', 'list the re-embedded models with their progress')
    .option('--drop', 'delete the vector set of --model (its vectors and index)')
    .option('--db <url>', 'PostgreSQL of the pipeline (DATABASE_URL): re-embed through Kafka')
    .option('--data-dir <dir>', 'without --db/DATABASE_URL: the embedded store `era-ingest run` filled (PGlite; refused when it holds none), re-embedded in this process', DEFAULT_DATA_DIR)
    .option('--json', 'machine-readable output')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', `
With DATABASE_URL (or --db), chunks go through Kafka: stored chunks without a vector of the
model are published to era.reembed and consumed by the group era.reembed.<model>, which embeds
them and writes chunk_vectors. Without it, the embedded store in --data-dir is re-embedded in
this process. Search keeps answering from chunks.embedding meanwhile; once the set is complete
(state ready, HNSW index built), a search whose EMBED_MODEL is the new model uses it
(era-ingest search --model <name>). Interrupted runs resume where they stopped.
Exit codes: 0 complete, 1 chunks were rejected (Kafka: era-ingest dlq list --stage reembed) or a
failure, 2 usage.`)
    .action(async (options: ReembedCliOptions) => {
      const store = { url: configFrom({ databaseUrl: options.db }).databaseUrl, dataDir: options.dataDir };
      if (options.list) return listModelsCommand(store, options.json === true);
      if (!options.model || options.model.trim() === '') throw new CliError('--model is required: name the model to embed with (e.g. --model nomic-embed-text --dim 768)', EXIT.usage);
      // eslint-disable-next-line no-control-regex
      if (options.model.length > 200 || /[\u0000-\u001f\u007f]/.test(options.model)) throw new CliError('--model is invalid: a model name has at most 200 characters and no control characters', EXIT.usage);
      if (options.drop) return dropModelCommand(store, options.model, options.json === true);
      const dimension = options.dim === undefined ? undefined : positiveInt('--dim', options.dim, 16_000);
      const intervalMs = positiveInt('--interval', options.interval, 86_400) * 1000;
      const metricsPort = options.metricsPort === undefined ? undefined : Number(options.metricsPort);
      if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65_535)) throw new CliError(`--metrics-port ${options.metricsPort} is invalid: give a port from 0 to 65535`, EXIT.usage);
      const config = configFrom({ databaseUrl: options.db });
      if (!config.databaseUrl && options.follow) throw new CliError('--follow keeps a pipeline\'s vector set complete: give its PostgreSQL with DATABASE_URL (or --db); an embedded store has no pipeline writing to it', EXIT.usage);
      const [{ runReembed }, { createLogger }, { Presets, SingleBar }] = await Promise.all([
        import('../../reembed/run-reembed.ts'), import('../../log/logger.ts'), import('cli-progress'),
      ]);
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { command: 'reembed' }, process.stderr);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const showBar = options.progress !== false && !options.json && process.stderr.isTTY === true;
      const bar = showBar ? new SingleBar({ format: ' re-embedding {bar} {value}/{total} chunks | pass {pass} | {failed} rejected', hideCursor: true }, Presets.shades_classic) : undefined;
      bar?.start(0, 0, { pass: 1, failed: 0 });
      try {
        const onProgress = (p: { total: number; written: number; pass: number; failed: number }): void => { bar?.setTotal(p.total); bar?.update(p.written, { pass: p.pass, failed: p.failed }); };
        const common = { config, model: options.model, signal: stop.signal, onProgress, ...(dimension !== undefined ? { dimension } : {}) };
        const summary = config.databaseUrl
          ? await runReembed({ ...common, logger, follow: options.follow === true, intervalMs, ...(metricsPort !== undefined || options.follow ? { metricsPort: metricsPort ?? config.metricsPort } : {}) })
          : await reembedEmbedded(store, common);
        bar?.stop();
        if (options.json) printJson(summary);
        else {
          process.stdout.write(`${summary.model} (${summary.dimension} dimensions): ${summary.state}, ${summary.embedded} embedded + ${summary.copied} copied of ${summary.chunks} chunks in ${summary.passes} pass(es), ${summary.seconds.toFixed(1)} s` +
            `${summary.index ? `; index ${summary.index}` : ''}${summary.interrupted ? ' (interrupted: run again to resume)' : ''}\n`);
          if (summary.failed.length) {
            process.stderr.write(`  ${summary.failed.length} chunk(s) rejected by ${summary.model}${summary.rejected ? ':' : ': see era-ingest dlq list --stage reembed'}\n`);
            for (const r of summary.rejected ?? []) process.stderr.write(`    ${r.chunkId}: ${r.reason}\n`);
          }
        }
        // Not complete (rejected chunks, or stopped before the end without --follow): 1.
        process.exitCode = summary.failed.length || (summary.interrupted && !options.follow) ? EXIT.failure : EXIT.ok;
      } finally {
        bar?.stop();
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}

type StoreChoice = { url: string | undefined; dataDir: string };

async function withStore<T>(store: StoreChoice, fn: (client: import('../../storage/sql-client.ts').SqlClient) => Promise<T>): Promise<T> {
  const { withStore: withOpenStore } = await import('../open-store.ts');
  return withOpenStore(store, configFrom(), fn);
}

/** Re-embeds the embedded store (PGlite in --data-dir) in this process. */
async function reembedEmbedded(store: StoreChoice, options: Omit<import('../../reembed/run-reembed-local.ts').LocalReembedOptions, 'client'>) {
  const { runReembedLocal } = await import('../../reembed/run-reembed-local.ts');
  return withStore(store, (client) => runReembedLocal({ ...options, client }));
}

async function listModelsCommand(store: StoreChoice, json: boolean): Promise<void> {
  const { listModels } = await import('../../storage/model-vectors.ts');
  const models = await withStore(store, listModels);
  if (json) return printJson(models);
  if (models.length === 0) process.stdout.write('no re-embedded models (era-ingest reembed --model <name>)\n');
  for (const m of models) {
    process.stdout.write(`${m.model}\t${m.dimension} dims\t${m.state}\t${m.vectors} vectors, ${m.missing} missing\tsince ${m.startedAt.toISOString()}${m.readyAt ? `, ready ${m.readyAt.toISOString()}` : ''}\n`);
  }
}

async function dropModelCommand(store: StoreChoice, model: string, json: boolean): Promise<void> {
  const { dropModel } = await import('../../storage/model-vectors.ts');
  const dropped = await withStore(store, (client) => dropModel(client, model));
  if (json) printJson({ model, dropped });
  else process.stdout.write(dropped ? `dropped the vectors of ${model}\n` : `${model} has no vector set\n`);
  if (!dropped) process.exitCode = EXIT.failure;
}
