/**
 * Fault: Kafka over TLS. A private broker with an SSL listener whose certificate is signed by a
 * local CA (infra/kafka/kafka.sh, KAFKA_TLS=1): a stage and the CLI that trust the CA
 * (KAFKA_SSL=true, KAFKA_SSL_CA_FILE) work over it; a client that does not trust it, or that
 * speaks TLS to a plaintext port, fails at start within seconds, with the fix in the message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRecord } from '../../src/topics/raw-record.ts';
import { topicNames } from '../../src/dataflow/topics.ts';
import { corpusDocument } from '../helpers/corpus.ts';
import { startFaultKafka, type FaultKafka } from '../helpers/fault-services.ts';
import { KafkaTestKit } from '../helpers/kafka.ts';
import { uniqueName } from '../helpers/names.ts';
import { startProcess } from '../helpers/processes.ts';
import { allTopics } from '../helpers/runner.ts';

describe('fault: Kafka over TLS', () => {
  let broker: FaultKafka;
  let kit: KafkaTestKit;
  beforeAll(async () => {
    broker = await startFaultKafka({ tls: true });
    kit = new KafkaTestKit([broker.address]); // PLAINTEXT listener: the test's own view
  }, 180_000);
  afterAll(async () => {
    await kit?.cleanup().catch(() => undefined);
    await broker?.destroy();
  }, 120_000);

  const tlsEnv = (prefix: string, extra: Record<string, string> = {}): Record<string, string> => ({
    KAFKA_BROKERS: broker.sslAddress!, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: broker.caFile!, TOPIC_PREFIX: prefix, GROUP_PREFIX: uniqueName('g'),
    TOPIC_PARTITIONS: '1', CHUNK_TOKENS: '64', CHUNK_OVERLAP: '8', METRICS_PORT: '0', LOG_LEVEL: 'info', COMMIT_INTERVAL_MS: '200', DATABASE_URL: '', ...extra,
  });

  /** Runs the CLI to its end; resolves with the exit code, the output and how long it took. */
  const cli = async (args: string[], env: Record<string, string>, timeoutMs = 60_000) => {
    const t0 = Date.now();
    const p = startProcess('src/cli/main.ts', args, env);
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    const code = await p.exited;
    clearTimeout(timer);
    return { code, output: p.output(), ms: Date.now() - t0 };
  };

  it('a stage and the CLI that trust the CA work over the SSL listener', async () => {
    const prefix = uniqueName('tls');
    const topics = topicNames(prefix);
    kit.track(...allTopics(prefix));
    const created = await cli(['topics', 'create'], tlsEnv(prefix));
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain(`created  ${topics.raw}`);

    const stage = startProcess('src/cli/main.ts', ['stage', 'chunk'], tlsEnv(prefix));
    try {
      await stage.waitForOutput('"msg":"stage chunk started"', 90_000);
      const dir = mkdtempSync(join(tmpdir(), 'era-tls-'));
      writeFileSync(join(dir, 'doc.jsonl'), `${JSON.stringify({ id: 'tls-doc', text: corpusDocument(2).text })}\n`);
      const published = await cli(['publish', dir, '--job', 'job-tls'], tlsEnv(prefix));
      expect(published.code, published.output).toBe(0);
      const chunks = await kit.readAll(topics.chunks, 1, 60_000);
      expect(chunks.map((c) => c.key?.toString())).toContain('tls-doc');
      // A record produced by a plaintext client is consumed over TLS as well.
      await kit.produce(topics.raw, [rawRecord(corpusDocument(3), { nowMs: Date.now() })]);
      await kit.readAll(topics.chunks, chunks.length + 1, 60_000).then((all) => expect(all.map((c) => c.key?.toString())).toContain('doc-3'));
    } finally {
      stage.kill('SIGTERM');
    }
    expect(await stage.exited).toBe(0);
  }, 180_000);

  it('without the CA, a stage exits 2 (a configuration error) before it starts and says to set KAFKA_SSL_CA_FILE', async () => {
    const prefix = uniqueName('tls');
    const r = await cli(['stage', 'chunk'], tlsEnv(prefix, { KAFKA_SSL_CA_FILE: '' }), 45_000);
    console.log(`[faults/tls] untrusted certificate: exit ${r.code} after ${r.ms} ms`);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/presented a TLS certificate this client does not trust.*set KAFKA_SSL_CA_FILE/);
    expect(r.output).not.toContain('"msg":"stage chunk started"');
    const wrongCa = await cli(['topics', 'create'], tlsEnv(prefix, { KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }));
    expect(wrongCa.code).toBe(2);
    expect(wrongCa.output).toMatch(/KAFKA_SSL_CA_FILE=\/nonexistent\/ca.pem cannot be read/);
  }, 90_000);

  it('TLS to a plaintext port is refused at once, naming the setting to change', async () => {
    const prefix = uniqueName('tls');
    const r = await cli(['publish', '-'], tlsEnv(prefix, { KAFKA_BROKERS: broker.address }), 45_000);
    console.log(`[faults/tls] TLS to the plaintext port: exit ${r.code} after ${r.ms} ms`);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/does not speak TLS on that port.*KAFKA_SSL=false/);
  }, 90_000);
});
