import type { Command } from 'commander';
import { topicSpecs } from '../../dataflow/topics.ts';
import { ensureTopics, topicSettings } from '../../kafka/admin.ts';
import { createKafka } from '../../kafka/client.ts';
import { createRegistryClient, registerAllValueSchemas } from '../../topics/avro/registry.ts';
import { valueSubject } from '../../topics/avro/schemas.ts';
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
      const specs = topicSpecs(config.topicPrefix);
      const admin = createKafka(config).admin();
      await admin.connect();
      try {
        const created = await ensureTopics(admin, specs, topicSettings(config));
        const all = specs.map((s) => s.topic);
        // CODEC=avro: register every value schema (<topic>-value, BACKWARD); incompatible = ConfigError.
        const schemas: Record<string, number> = {};
        if (config.codec === 'avro' && config.schemaRegistryUrl) {
          const ids = await registerAllValueSchemas(createRegistryClient(config.schemaRegistryUrl), specs);
          for (const [topic, id] of Object.entries(ids)) schemas[valueSubject(topic)] = id;
        }
        if (options.json) printJson({ created, existing: all.filter((t) => !created.includes(t)), ...(config.codec === 'avro' ? { schemas } : {}) });
        else {
          for (const t of all) process.stdout.write(`${created.includes(t) ? 'created ' : 'exists  '} ${t}\n`);
          for (const [subject, id] of Object.entries(schemas)) process.stdout.write(`schema   ${subject} (id ${id}, BACKWARD)\n`);
        }
      } finally {
        await admin.disconnect();
      }
    });
}
