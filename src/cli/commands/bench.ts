import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, EXIT } from '../context.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark: throughput, publish→stored latency, memory and CPU per stage, in embedded and Kafka mode, against a naive baseline and the targets')
    .option('--mode <mode>', 'embedded (PGlite), kafka (real broker + PostgreSQL, four stage processes) or all', 'all')
    .option('--scenarios <list>', 'comma list of scaling, baseline, ceiling, rate, backlog, delivery (the same run with DELIVERY=at-least-once and exactly-once), tracing (the span calls per input with tracing off), index, codecs (JSON vs Avro; needs SCHEMA_REGISTRY_URL), reembed (era-ingest reembed while searching), model (the real model at OLLAMA_HOST: its own throughput, then the pipeline with it; skipped without OLLAMA_HOST), replicas (1, 2 and 3 processes of the bottleneck stage)', 'scaling,baseline,ceiling,rate,backlog,delivery,tracing,index,codecs,reembed,model,replicas')
    .option('--docs <list>', 'documents per scaling run (default 100,1000,10000; --quick 100,1000)')
    .option('--embedder <name>', 'hash (built in) or double (the Ollama TEST DOUBLE) for the scaling, baseline, rate and backlog runs', 'hash')
    .option('--latency <ms>', 'Ollama double: delay per /api/embed request', '20')
    .option('--item-latency <ms>', 'Ollama double: added delay per input of a request', '2')
    .option('--concurrency <n>', 'Ollama double: concurrent requests it serves (more get 503) = EMBED_CONCURRENCY', '2')
    .option('--batch <n>', 'EMBED_BATCH_SIZE: chunks per embedding request', '16')
    .option('--ceiling-docs <n>', 'documents of the Ollama-double ceiling runs (default 2500; --quick 1000)')
    .option('--rate <docs/s>', 'sustained-rate run: documents/s (default: half the largest Kafka scaling run\'s rate)')
    .option('--duration <s>', 'sustained-rate run: seconds of publishing (default 60; --quick 20)')
    .option('--backlog-chunks <n>', 'backlog drain: chunks published before the stages start (default 100000; --quick 20000)')
    .option('--baseline-docs <n>', 'documents of the naive baseline run (and of the era-ingest run it is compared with)', '1000')
    .option('--replica-docs <n>', 'replicas: documents of each run with 1, 2 and 3 processes of the bottleneck stage (default 2000; --quick 1000)')
    .option('--index-chunks <n>', 'HNSW cost: chunks written with and without the index (default 20000; --quick 5000)')
    .option('--reembed-chunks <n>', 'reembed: chunks stored, then re-embedded with another model while a searcher runs (default 20000; --quick 5000)')
    .option('--model-docs <n>', 'model: documents of each pipeline run with the real model (default: 40 s of embedding at the measured ceiling, at least 50)')
    .option('--model-batches <n>', 'model: batches per concurrency level of the ceiling (default: calibrated for at least 15 s a level)')
    .option('--warmup <n>', 'warm-up documents before each measurement (default 10 % of the run, 20–500)')
    .option('--cooldown <s>', 'seconds of sampling after each measurement (default 5; --quick 2)')
    .option('--partitions <n>', 'partitions of each run\'s topics', '6')
    .option('--profile <name>', 'PROFILE of the stages: local, standard, high-throughput', 'standard')
    .option('--flow-rate <rate>', 'FLOW_RATE of the stages: unlimited or messages/s', 'unlimited')
    .option('--stage-env <NAME=value>', 'extra environment for the stages and the embedded worker (repeatable)', collect, [])
    .option('--out <file>', 'JSON result file; the SVG chart and the logs go next to it (default bench/results/<timestamp>.json)')
    .option('--cpu-prof', 'write V8 CPU profiles of the stage processes next to the results')
    .option('--stall <s>', 'give up a run when no document was stored for this long', '60')
    .option('--idle-wait <s>', 'before each run, wait up to this long for the machine to be ≤ 25 % busy (0 = do not wait)', '120')
    .option('--retries <n>', 'run a scenario again (up to n times) when other work used > 0.25 cores during it; the quietest attempt is kept', '0')
    .option('--replicas <list>', 'what-if, Kafka mode: processes per stage, e.g. store=2 (they share the stage\'s partitions)')
    .option('--vector-index <kind>', 'what-if, Kafka mode: hnsw (as migrated; the targets assume it), none, hnsw-m8 (m=8, ef_construction=32), or bulk (db bulk-load begin before the run, end after it, timed)', 'hnsw')
    .option('--tsx', 'what-if, Kafka mode: run the stages from the TypeScript sources through tsx instead of the compiled dist/ (built at the start of a Kafka run)')
    .option('--no-job', 'publish without an era.job header (no job-status writes by the stages)')
    .option('--keep', 'keep the runs\' topics and databases (for inspection)')
    .option('--quick', 'smaller runs: 100 and 1,000 documents, 20 s sustained rate, 20,000-chunk backlog')
    .option('--json', 'print the JSON report instead of the tables')
    .addHelpText('after', [
      '',
      'Kafka mode uses KAFKA_BROKERS and DATABASE_URL (eval "$(infra/services.sh up)"): every run gets its own topics',
      '(TOPIC_PREFIX), consumer groups and database (CREATE DATABASE, dropped afterwards). Targets are printed beside',
      'the figures as PASS / FALL SHORT; they are benchmark targets, not tests: the exit code is 1 only when a run failed.',
      'The model scenario measures the server at OLLAMA_HOST (OLLAMA_HOST=$(infra/ollama/ollama.sh start)); without it, it is skipped.',
      'Examples:  era-ingest bench --quick            era-ingest bench --mode kafka --scenarios scaling --docs 10000',
      '           OLLAMA_HOST=http://127.0.0.1:11535 era-ingest bench --scenarios model',
    ].join('\n'))
    .action(async (flags: Record<string, unknown>) => {
      process.exitCode = await runBenchFromSources(flags);
    });
}

/** The benchmark's own entry in a source checkout (bench/ is not in the package). */
const BENCH_COMMAND = new URL('../../../bench/command.ts', import.meta.url);

/**
 * The benchmark is a development tool: its code (bench/, test doubles) is TypeScript in the
 * checkout, never compiled into dist/. Run from the sources (tsx), it is imported; run from
 * dist/, the same command line is run again from the sources through tsx (a devDependency).
 * The specifier is a variable so that `npm run build` does not compile bench/ into dist/.
 */
async function runBenchFromSources(flags: Record<string, unknown>): Promise<number> {
  if (!existsSync(BENCH_COMMAND)) {
    throw new CliError('era-ingest bench runs from a source checkout (bench/ is not part of the package): git clone the repository, npm ci, then npm run cli -- bench …', EXIT.usage);
  }
  if (import.meta.url.endsWith('.ts')) {
    const { benchCommand } = (await import(BENCH_COMMAND.href)) as { benchCommand: (flags: Record<string, unknown>) => Promise<number> };
    return benchCommand(flags);
  }
  const sources = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', sources, ...process.argv.slice(2)], { stdio: 'inherit' });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : EXIT.failure);
}
