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

  it('listens on 127.0.0.1 by default, and refuses any other address without API_TOKEN unless API_AUTH=none', async () => {
    const env = { KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: database.url, TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '1', EMBED_DIM: '16', LOG_LEVEL: 'info' };
    const open = startProcess('src/cli/main.ts', ['serve', '--port', '0', '--host', '0.0.0.0'], env);
    expect(await open.exited).toBe(2);
    expect(open.output()).toMatch(/serve would listen on 0\.0\.0\.0 .*without authentication.*Set API_TOKEN.*API_AUTH=none/s);
    const fromEnv = startProcess('src/cli/main.ts', ['serve', '--port', '0'], { ...env, API_HOST: '::' });
    expect(await fromEnv.exited).toBe(2);
    const both = startProcess('src/cli/main.ts', ['serve', '--port', '0'], { ...env, API_AUTH: 'none', API_TOKEN: TOKEN });
    expect(await both.exited).toBe(2);
    expect(both.output()).toMatch(/API_AUTH=none and API_TOKEN are both set/);
    // The default: loopback, no token needed.
    const local = startProcess('src/cli/main.ts', ['serve', '--port', '0'], env);
    try {
      await local.waitForOutput('HTTP API listening');
      expect(local.output()).toMatch(/"host":"127\.0\.0\.1"/);
    } finally {
      local.kill('SIGTERM');
      await local.exited;
    }
    // Deliberately open: API_AUTH=none on every interface.
    const none = startProcess('src/cli/main.ts', ['serve', '--port', '0', '--host', '0.0.0.0'], { ...env, API_AUTH: 'none' });
    try {
      await none.waitForOutput('HTTP API listening');
      expect(none.output()).toMatch(/"host":"0\.0\.0\.0"/);
    } finally {
      none.kill('SIGTERM');
      await none.exited;
    }
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
