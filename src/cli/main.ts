/**
 * `era-ingest` command line. Every command has --help; exit codes: 0 ok, 1 failure, 2 usage.
 */
import { Command, CommanderError } from 'commander';
import { PipelineError } from '../errors/pipeline-error.ts';
import { registerBench } from './commands/bench.ts';
import { registerDb } from './commands/db.ts';
import { registerDelete } from './commands/delete.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerEval } from './commands/eval.ts';
import { registerMinisters } from './commands/ministers.ts';
import { registerPublish } from './commands/publish.ts';
import { registerReembed } from './commands/reembed.ts';
import { registerReplay } from './commands/replay.ts';
import { registerRun } from './commands/run.ts';
import { registerSearch } from './commands/search.ts';
import { registerServe } from './commands/serve.ts';
import { registerStage } from './commands/stage.ts';
import { registerStatus } from './commands/status.ts';
import { registerTopics } from './commands/topics.ts';
import { CliError, configFrom, EXIT } from './context.ts';
import { VERSION } from './version.ts';
import { startTracing } from '../tracing/sdk.ts';

/** Commands that talk to Kafka: a TLS misconfiguration is reported before they start. */
const KAFKA_COMMANDS = new Set(['publish', 'replay', 'dlq', 'topics', 'serve']); // reembed and delete check on their Kafka path only

/** The top-level command of a (sub)command: `dlq` for `dlq list`. */
function topLevel(command: Command): Command {
  let c = command;
  while (c.parent && c.parent.parent) c = c.parent;
  return c;
}

/** A kafkajs error as one line with its cause (their stacks say nothing a user can act on). */
function kafkaMessage(error: Error & { cause?: unknown }): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `Kafka (${error.name}): ${error.message}${cause && !error.message.includes((error.cause as Error).message) ? cause : ''}. Check KAFKA_BROKERS, and KAFKA_SSL / KAFKA_SASL_* when the brokers need TLS or authentication`;
}

export function buildProgram(): Command {
  const program = new Command('era-ingest')
    .description('Streaming ingestion into a retrieval knowledge base: Kafka → chunk → embed → minister → PostgreSQL + pgvector')
    .version(VERSION, '-V, --version', 'print the version of era-ingest')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .hook('preAction', async (_program, action) => {
      if (!KAFKA_COMMANDS.has(topLevel(action).name())) return;
      const { checkKafkaTls } = await import('../kafka/preflight.ts');
      await checkKafkaTls(configFrom());
    });
  registerRun(program);
  registerSearch(program);
  registerPublish(program);
  registerDelete(program);
  registerStatus(program);
  registerReplay(program);
  registerDlq(program);
  registerReembed(program);
  registerDb(program);
  registerTopics(program);
  registerStage(program);
  registerServe(program);
  registerMinisters(program);
  registerBench(program);
  registerEval(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * The service name of this process's spans when OTEL_SERVICE_NAME does not say:
 * `era-ingest-<command>`, and `era-ingest-<stage>` for `stage <name>`.
 */
export function defaultServiceName(argv: readonly string[]): string {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = words[0] === 'stage' && words[1] ? words[1] : words[0];
  return name && /^[a-z][a-z0-9-]*$/.test(name) ? `era-ingest-${name}` : 'era-ingest';
}

export async function main(argv: string[] = process.argv): Promise<number> {
  // Off (nothing loaded) unless OTEL_EXPORTER_OTLP_ENDPOINT is set (../tracing/sdk.ts).
  const tracing = await startTracing({ name: defaultServiceName(argv), version: VERSION });
  try {
    return await runCommand(argv);
  } finally {
    await tracing.shutdown();
  }
}

async function runCommand(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`era-ingest: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof PipelineError ? `${error.code}: ${error.message}`
      : (error as Error)?.name?.startsWith('KafkaJS') ? kafkaMessage(error as Error) : (error as Error).stack ?? String(error);
    process.stderr.write(`era-ingest: ${message}\n`);
    // A configuration error is a usage error, whenever it is found (at start, or from a server).
    return error instanceof PipelineError && error.code === 'CONFIG_INVALID' ? EXIT.usage : EXIT.failure;
  }
}

/** How long a finished command waits for leftover handles to close by themselves. */
const LINGER_MS = 2_000;

/**
 * Last resort: anything thrown outside a promise chain the commands await (a timer, an event
 * listener) is logged as one JSON line and ends the process with exit code 1. Nothing is
 * committed for work in flight, so a stage's records are redelivered after the restart.
 */
function exitOnUncaught(kind: string, error: unknown): void {
  const e = error as Error;
  process.stderr.write(`${JSON.stringify({ level: 'fatal', time: Date.now(), msg: `${kind}: exiting`, err: e?.message ?? String(error), stack: e?.stack?.split('\n').slice(0, 8).join('\n') })}\n`);
  process.exit(EXIT.failure);
}
process.on('uncaughtException', (error) => exitOnUncaught('uncaught exception', error));
process.on('unhandledRejection', (error) => exitOnUncaught('unhandled rejection', error));

const code = await main();
process.exitCode = code;
// The command is done: the process ends when nothing is left open, as usual. A library may
// leave a handle behind (kafkajs can keep a broker socket after disconnect, tulios/kafkajs#1074;
// seen here after a stage's clean stop), which would keep a stopped stage alive until SIGKILL.
// An unref'd timer fires only in that case: say what was left open, then exit with the code.
// Output a reader has not taken yet (stdout into a pipe is asynchronous) is waited for, not cut.
const exitWhenWritten = (): void => {
  if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) {
    setTimeout(exitWhenWritten, LINGER_MS).unref();
    return;
  }
  process.stderr.write(`${JSON.stringify({ level: 'warn', time: Date.now(), msg: `handles still open after the command finished (${process.getActiveResourcesInfo().join(', ')}); exiting` })}\n`);
  process.exit(code);
};
setTimeout(exitWhenWritten, LINGER_MS).unref();
