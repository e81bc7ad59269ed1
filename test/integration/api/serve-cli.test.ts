/**
 * `era-ingest serve` as a process: wired from the environment, serving, and stopping cleanly on
 * SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/dataflow/topics.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startProcess } from '../../helpers/processes.ts';
import { kafkaBrokers } from '../../helpers/services.ts';

const TOKEN = 'serve-cli-token-0123456789';

describe('era-ingest serve', () => {
  const kit = new KafkaTestKit();
  const prefix = uniqueName('serve');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    kit.track(topicNames(prefix).raw, topicNames(prefix).rawPriority);
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
    await kit.cleanup();
  });

  it('refuses to start without DATABASE_URL (usage error, exit 2)', async () => {
    const proc = startProcess('src/cli/main.ts', ['serve', '--port', '0'], { KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: '' });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/set DATABASE_URL \(or --db\)/);
  });

  it('serves from the environment and stops on SIGTERM with exit 0, never logging the token', async () => {
    const proc = startProcess('src/cli/main.ts', ['serve', '--port', '0', '--host', '127.0.0.1'], {
      KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: database.url, TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '1',
      API_TOKEN: TOKEN, EMBED_DIM: '16', LOG_LEVEL: 'debug',
    });
    try {
      await proc.waitForOutput('HTTP API listening');
      const port = Number(/"port":(\d+)/.exec(proc.output())![1]);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const res = await fetch(`${base}/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify([{ id: 'cli-1', text: 'hello' }]) });
      expect(res.status).toBe(202);
      const { jobId } = (await res.json()) as { jobId: string };
      const [record] = await kit.readAll(topicNames(prefix).raw, 1);
      expect(record!.headers['era.job']).toBe(jobId);
      proc.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('HTTP API stopped');
      expect(proc.output()).not.toContain(TOKEN);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
