import type { Command } from 'commander';
import { STAGE_NAMES, type StageName } from '../../runtime/stage.ts';
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
    .requiredOption('--stage <name>', `stage whose group is reset: ${STAGE_NAMES.join(', ')}`)
    .requiredOption('--to <position>', 'earliest, latest, an ISO time, or an offset (every partition)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nThe stage\'s services must be stopped first: the reset is refused while the group has active members.\nReplaying is safe: ids are deterministic and the store upserts, so re-ingesting yields the same rows.')
    .action(async (options: ReplayOptions) => {
      if (!(STAGE_NAMES as readonly string[]).includes(options.stage)) throw new CliError(`--stage ${options.stage} is invalid: use one of ${STAGE_NAMES.join(', ')}`, EXIT.usage);
      const target = parseReplayTarget(options.to);
      const config = configFrom();
      const [{ createKafka }, { STAGE_INPUTS }, { topicNames }] = await Promise.all([import('../../runtime/kafka-client.ts'), import('../../stages/inputs.ts'), import('../../topics/names.ts')]);
      const topics = STAGE_INPUTS[options.stage as StageName](topicNames(config.topicPrefix));
      const groupId = `${config.groupPrefix}.${options.stage}`;
      const admin = createKafka(config).admin();
      await admin.connect();
      try {
        const { groups: [group] } = await admin.describeGroups([groupId]);
        if (group && group.members.length > 0) {
          throw new CliError(`group ${groupId} has ${group.members.length} active member(s) (state ${group.state}): stop the ${options.stage} stage's services, then replay`);
        }
        for (const topic of topics) {
          if (target.kind === 'earliest' || target.kind === 'latest') {
            // Explicit offsets (kafkajs' resetOffsets stores the -2/-1 markers instead).
            const offsets = await admin.fetchTopicOffsets(topic);
            await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: target.kind === 'earliest' ? o.low : o.high })) });
          } else if (target.kind === 'time') {
            const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, target.ms);
            await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.offset })) });
          } else if (target.kind === 'offset') {
            const { offset } = target;
            const ends = await admin.fetchTopicOffsets(topic);
            await admin.setOffsets({ groupId, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: BigInt(offset) > BigInt(e.high) ? e.high : offset })) });
          }
        }
        const committed = await admin.fetchOffsets({ groupId, topics });
        const result = { groupId, to: options.to, topics: committed.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) })) };
        if (options.json) printJson(result);
        else for (const t of result.topics) process.stdout.write(`${groupId} on ${t.topic}: ${t.partitions.map((p) => `${p.partition}@${p.offset}`).join(' ')}\n`);
      } finally {
        await admin.disconnect();
      }
    });
}
