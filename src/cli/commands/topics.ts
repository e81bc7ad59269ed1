import type { Command } from 'commander';
import { createKafka } from '../../runtime/kafka-client.ts';
import { ensureTopics, topicOptions } from '../../topics/admin.ts';
import { topicNames } from '../../topics/names.ts';
import { configFrom, printJson } from '../context.ts';

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description('manage the pipeline topics');
  topics
    .command('create')
    .description('create every pipeline topic that does not exist yet (idempotent)')
    .option('--partitions <n>', 'partitions per topic (TOPIC_PARTITIONS)')
    .option('--replication-factor <n>', 'replication factor (TOPIC_REPLICATION_FACTOR)')
    .option('--json', 'machine-readable output')
    .action(async (options: { partitions?: string; replicationFactor?: string; json?: boolean }) => {
      const config = configFrom({ topicPartitions: options.partitions, topicReplicationFactor: options.replicationFactor });
      const admin = createKafka(config).admin();
      await admin.connect();
      try {
        const created = await ensureTopics(admin, topicOptions(config));
        const all = Object.values(topicNames(config.topicPrefix));
        if (options.json) printJson({ created, existing: all.filter((t) => !created.includes(t)) });
        else for (const t of all) process.stdout.write(`${created.includes(t) ? 'created ' : 'exists  '} ${t}\n`);
      } finally {
        await admin.disconnect();
      }
    });
}
