import type { Command } from 'commander';
import { CliError, configFrom, EXIT, printJson, withPostgres } from '../context.ts';

interface ReembedCliOptions {
  model?: string;
  dim?: string;
  follow?: boolean;
  interval: string;
  list?: boolean;
  drop?: boolean;
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
    .option('--model <name>', 'model to embed with (Ollama model; with EMBEDDER=hash, a label for the hash vectors)')
    .option('--dim <n>', 'vector length of that model (default: as registered, else EMBED_DIM)')
    .option('--follow', 'keep going: re-embed chunks the pipeline stores from now on, until SIGTERM')
    .option('--interval <seconds>', 'with --follow, seconds between passes', '10')
    .option('--list', 'list the re-embedded models with their progress')
    .option('--drop', 'delete the vector set of --model (its vectors and index)')
    .option('--json', 'machine-readable output')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', `
Chunks go through Kafka: stored chunks without a vector of the model are published to
era.reembed and consumed by the group era.reembed.<model>, which embeds them and writes
chunk_vectors. Search keeps answering from chunks.embedding meanwhile; once the set is
complete (state ready, HNSW index built), a search whose EMBED_MODEL is the new model uses it
(era-ingest search --model <name>). Interrupted runs resume where they stopped.
Exit codes: 0 complete, 1 chunks were rejected (see era-ingest dlq list --stage reembed) or a failure.`)
    .action(async (options: ReembedCliOptions) => {
      if (options.list) return listModelsCommand(options.json === true);
      if (!options.model || options.model.trim() === '') throw new CliError('--model is required: name the model to embed with (e.g. --model nomic-embed-text --dim 768)', EXIT.usage);
      // eslint-disable-next-line no-control-regex
      if (options.model.length > 200 || /[\u0000-\u001f\u007f]/.test(options.model)) throw new CliError('--model is invalid: a model name has at most 200 characters and no control characters', EXIT.usage);
      if (options.drop) return dropModelCommand(options.model, options.json === true);
      const dimension = options.dim === undefined ? undefined : positiveInt('--dim', options.dim, 16_000);
      const intervalMs = positiveInt('--interval', options.interval, 86_400) * 1000;
      const config = configFrom();
      if (!config.databaseUrl) throw new CliError('DATABASE_URL is not set: reembed reads the stored chunks from PostgreSQL and writes the new vectors there (DATABASE_URL=postgres://user:pass@host:5432/db)', EXIT.usage);
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
        const summary = await runReembed({
          config, model: options.model, logger, signal: stop.signal, follow: options.follow === true, intervalMs,
          ...(dimension !== undefined ? { dimension } : {}),
          onProgress: (p) => { bar?.setTotal(p.total); bar?.update(p.written, { pass: p.pass, failed: p.failed }); },
        });
        bar?.stop();
        if (options.json) printJson(summary);
        else {
          process.stdout.write(`${summary.model} (${summary.dimension} dimensions): ${summary.state}, ${summary.embedded} embedded + ${summary.copied} copied of ${summary.chunks} chunks in ${summary.passes} pass(es), ${summary.seconds.toFixed(1)} s` +
            `${summary.index ? `; index ${summary.index}` : ''}${summary.interrupted ? ' (interrupted: run again to resume)' : ''}\n`);
          if (summary.failed.length) process.stderr.write(`  ${summary.failed.length} chunk(s) rejected by ${summary.model}: see era-ingest dlq list --stage reembed\n`);
        }
        process.exitCode = summary.failed.length ? EXIT.failure : EXIT.ok;
      } finally {
        bar?.stop();
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}

const withDatabase = <T>(fn: (client: import('../../storage/sql-client.ts').SqlClient) => Promise<T>): Promise<T> =>
  withPostgres(undefined, 'DATABASE_URL is not set: re-embedded vectors live in PostgreSQL (DATABASE_URL=postgres://user:pass@host:5432/db)', fn);

async function listModelsCommand(json: boolean): Promise<void> {
  const { listModels } = await import('../../storage/model-vectors.ts');
  const models = await withDatabase(listModels);
  if (json) return printJson(models);
  if (models.length === 0) process.stdout.write('no re-embedded models (era-ingest reembed --model <name>)\n');
  for (const m of models) {
    process.stdout.write(`${m.model}\t${m.dimension} dims\t${m.state}\t${m.vectors} vectors, ${m.missing} missing\tsince ${m.startedAt.toISOString()}${m.readyAt ? `, ready ${m.readyAt.toISOString()}` : ''}\n`);
  }
}

async function dropModelCommand(model: string, json: boolean): Promise<void> {
  const { dropModel } = await import('../../storage/model-vectors.ts');
  const dropped = await withDatabase((client) => dropModel(client, model));
  if (json) printJson({ model, dropped });
  else process.stdout.write(dropped ? `dropped the vectors of ${model}\n` : `${model} has no vector set\n`);
  if (!dropped) process.exitCode = EXIT.failure;
}
