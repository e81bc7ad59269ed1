import type { Command } from 'commander';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';

interface DlqOptions {
  stage?: string;
  code?: string;
  limit?: string;
  json?: boolean;
  all?: boolean;
  dataDir?: string;
  db?: string;
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('inspect and replay dead letters (era.dlq)');
  dlq
    .command('list')
    .description('show dead letters with their error headers')
    .option('--stage <name>', 'only from this stage')
    .option('--code <code>', 'only with this error code (e.g. UNDECODABLE, INVALID_MESSAGE)')
    .option('--limit <n>', 'at most this many', '100')
    .option('--data-dir <dir>', 'dead letters of `era-ingest run` in this embedded store (PGlite, refused when it holds none), not era.dlq')
    .option('--db <url>', 'dead letters of `era-ingest run --db` in this PostgreSQL, not era.dlq')
    .option('--json', 'machine-readable output')
    .action(async (options: DlqOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit ${options.limit} is invalid: give a whole number ≥ 1`, EXIT.usage);
      const filter = { ...(options.stage ? { stage: options.stage } : {}), ...(options.code ? { code: options.code } : {}) };
      if (options.dataDir !== undefined || options.db !== undefined) return listStoreDeadLetters(options, filter, limit);
      const config = configFrom();
      const [{ createKafka }, { listDeadLetters }, { topicNames }] = await Promise.all([import('../../kafka/client.ts'), import('../../kafka/dead-letters.ts'), import('../../dataflow/topics.ts')]);
      const letters = await listDeadLetters(createKafka(config), topicNames(config.topicPrefix).dlq, { ...(options.stage ? { stage: options.stage } : {}), ...(options.code ? { code: options.code } : {}) }, limit);
      if (options.json) return printJson(letters);
      if (letters.length === 0) process.stdout.write('no dead letters\n');
      for (const d of letters) {
        process.stdout.write(`${new Date(d.failedAt).toISOString()}  ${d.stage}  ${d.code}  ${d.originalTopic}[${d.originalPartition}]@${d.originalOffset}  key=${JSON.stringify(d.key)}  attempts=${d.attempts}\n    ${d.message}\n`);
      }
    });
  dlq
    .command('replay')
    .description('re-publish dead letters to their original topics (after fixing the cause)')
    .option('--stage <name>', 'only from this stage')
    .option('--code <code>', 'only with this error code')
    .option('--all', 'replay every dead letter again, not only those not replayed yet')
    .option('--data-dir <dir>', 'replay the dead letters of `era-ingest run` in this embedded store (PGlite) through the in-process pipeline, each from the stage that rejected it, not era.dlq')
    .option('--db <url>', 'the same for the dead letters of `era-ingest run --db` in this PostgreSQL')
    .option('--json', 'machine-readable output')
    .action(async (options: DlqOptions) => {
      if (options.dataDir !== undefined || options.db !== undefined) return replayStoreLetters(options);
      const config = configFrom();
      const [{ createKafka }, { replayDeadLetters }, { topicNames }] = await Promise.all([import('../../kafka/client.ts'), import('../../kafka/dead-letters.ts'), import('../../dataflow/topics.ts')]);
      const result = await replayDeadLetters(createKafka(config), topicNames(config.topicPrefix).dlq, { ...(options.stage ? { stage: options.stage } : {}), ...(options.code ? { code: options.code } : {}) }, { group: `${config.groupPrefix}.dlq-replay`, all: options.all === true });
      if (options.json) printJson(result);
      else process.stdout.write(`replayed ${result.replayed} dead letters${Object.entries(result.byTopic).map(([t, n]) => `, ${n} to ${t}`).join('')}; ${result.skipped} did not match\n`);
    });
}

/** `dlq replay --data-dir|--db`: the store's dead letters through the in-process pipeline (../replay-embedded.ts). */
async function replayStoreLetters(options: DlqOptions): Promise<void> {
  const config = configFrom({ databaseUrl: options.db });
  const { replayEmbeddedDeadLetters } = await import('../replay-embedded.ts');
  const filter = { ...(options.stage ? { stage: options.stage } : {}), ...(options.code ? { code: options.code } : {}) };
  const result = await replayEmbeddedDeadLetters({ ...(options.db ? { url: config.databaseUrl } : {}), ...(options.dataDir ? { dataDir: options.dataDir } : {}) }, config, filter, { all: options.all === true });
  if (options.json) printJson(result);
  else process.stdout.write(`replayed ${result.replayed} dead letters${Object.entries(result.byStage).map(([s, n]) => `, ${n} from ${s}`).join('')}; ${result.skipped} did not match; ${result.recordedAgain} recorded again (see \`era-ingest dlq list\` with the same store)\n`);
  if (result.recordedAgain > 0) process.exitCode = EXIT.failure;
}

/** `dlq list --data-dir|--db`: the in-process runner's dead letters, from the store's dead_letters table. */
async function listStoreDeadLetters(options: DlqOptions, filter: { stage?: string; code?: string }, limit: number): Promise<void> {
  const config = configFrom({ databaseUrl: options.db });
  const [{ withStore }, { listDeadLetterRows }] = await Promise.all([import('../open-store.ts'), import('../../storage/dead-letters.ts')]);
  const letters = await withStore({ ...(options.db ? { url: config.databaseUrl } : {}), ...(options.dataDir ? { dataDir: options.dataDir } : {}) }, config, (client) => listDeadLetterRows(client, filter, limit));
  if (options.json) return printJson(letters.map((l) => ({ ...l, value: l.value?.toString('utf8') ?? null })));
  if (letters.length === 0) process.stdout.write('no dead letters\n');
  for (const d of letters) {
    process.stdout.write(`${d.failedAt.toISOString()}  ${d.stage}  ${d.errorCode}  ${d.origin ?? ''}  doc=${JSON.stringify(d.docId ?? null)}  attempts=${d.attempts}\n    ${d.errorMessage}\n`);
  }
}
