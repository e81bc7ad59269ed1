import type { Command } from 'commander';
import { PIPELINE } from '../../dataflow/pipeline.ts';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';

interface ReplayOptions {
  stage: string;
  to: string;
  json?: boolean;
}

/** Parses --to: earliest, latest, an ISO time, or an offset. */
export function parseReplayTarget(to: string): { kind: 'earliest' | 'latest' } | { kind: 'time'; ms: number } | { kind: 'offset'; offset: string } {
  if (to === 'earliest' || to === 'latest') return { kind: to };
  if (/^\d+$/.test(to)) return { kind: 'offset', offset: to };
  const ms = Date.parse(to);
  if (/^\d{4}-\d{2}-\d{2}/.test(to) && Number.isFinite(ms)) return { kind: 'time', ms };
  throw new CliError(`--to ${to} is invalid: use earliest, latest, an ISO time (2026-11-29T10:00:00Z) or an offset`, EXIT.usage);
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('reset a stage\'s consumer group to re-process its input (re-ingestion)')
    .requiredOption('--stage <name>', `stage whose group is reset: ${PIPELINE.stageNames.join(', ')}`)
    .requiredOption('--to <position>', 'earliest, latest, an ISO time, or an offset (every partition)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nThe stage\'s services must be stopped first: the reset is refused while the group has active members.\nReplaying is safe: ids are deterministic and the store upserts, so re-ingesting yields the same rows.')
    .action(async (options: ReplayOptions) => {
      if (!PIPELINE.has(options.stage)) throw new CliError(`--stage ${options.stage} is invalid: use one of ${PIPELINE.stageNames.join(', ')}`, EXIT.usage);
      const target = parseReplayTarget(options.to);
      const config = configFrom();
      const [{ createKafka }, { replayGroup }] = await Promise.all([import('../../kafka/client.ts'), import('../../kafka/replay.ts')]);
      const result = await replayGroup(createKafka(config), {
        stage: options.stage,
        groupPrefix: config.groupPrefix,
        topics: PIPELINE.inputTopics(PIPELINE.stage(options.stage), config.topicPrefix),
        target,
      });
      if (options.json) printJson({ ...result, to: options.to });
      else for (const t of result.topics) process.stdout.write(`${result.groupId} on ${t.topic}: ${t.partitions.map((p) => `${p.partition}@${p.offset}`).join(' ')}\n`);
    });
}
