/**
 * `era-ingest bench` after its options are parsed by commander (src/cli/commands/bench.ts, which
 * imports this module only in a source checkout): checks the options and the environment, runs
 * the benchmark (./run.ts) and prints its report. Returns the exit code: 1 when a run failed.
 * @throws CliError (exit 2) for invalid options or a Kafka run without DATABASE_URL.
 */
import { CliError, configFrom, EXIT, printJson } from '../src/cli/context.ts';
import { HASH_DEFAULT_DIMENSION } from '../src/embedding/hash-embedder.ts';
import { parseBenchOptions, UsageError, type RawBenchFlags } from './lib/options.ts';
import { runBench } from './run.ts';

export async function benchCommand(flags: Record<string, unknown>): Promise<number> {
  let options;
  try {
    options = parseBenchOptions(flags as RawBenchFlags);
  } catch (error) {
    if (error instanceof UsageError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const config = configFrom();
  if (options.modes.includes('kafka') && !config.databaseUrl) {
    throw new CliError('Kafka mode needs DATABASE_URL: a PostgreSQL with pgvector where the benchmark may CREATE DATABASE (eval "$(infra/services.sh up)" sets it and KAFKA_BROKERS); or run --mode embedded', EXIT.usage);
  }
  const log = (message: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  const run = await runBench(options, {
    brokers: config.kafkaBrokers,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    ...(config.schemaRegistryUrl ? { schemaRegistryUrl: config.schemaRegistryUrl } : {}),
    // The benchmark embeds with the hash embedder or the Ollama double, both of any size.
    embedDim: config.embedDim ?? HASH_DEFAULT_DIMENSION,
    chunker: { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap },
    // The model scenario measures the server the environment names, never a default one.
    ...(process.env.OLLAMA_HOST ? { modelHost: config.ollamaHost[0]! } : {}),
    modelName: config.embedModel,
    command: `era-ingest ${process.argv.slice(process.argv.indexOf('bench')).join(' ')}`,
  }, log);
  if (options.json) printJson(run.report);
  else process.stdout.write(`${run.text}\n`);
  const modelFailed = run.report.model !== undefined && 'failed' in run.report.model;
  return run.report.scenarios.some((s) => s.error) || modelFailed ? EXIT.failure : EXIT.ok;
}
