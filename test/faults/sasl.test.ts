/**
 * Fault: authenticated Kafka (SASL/SCRAM). A private broker with a SASL_PLAINTEXT listener
 * (infra/kafka/kafka.sh, KAFKA_SCRAM_USERS): a stage with the right credentials starts and
 * works; with a wrong password it fails at start, quickly, with a clear message. Neither
 * password ever appears in the stage's output.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/client.ts';
import { rawRecord } from '../../src/topics/raw-record.ts';
import { topicNames } from '../../src/dataflow/topics.ts';
import { corpusDocument } from '../helpers/corpus.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startFaultKafka, type FaultKafka } from '../helpers/fault-services.ts';
import { KafkaTestKit } from '../helpers/kafka.ts';
import { uniqueName } from '../helpers/names.ts';
import { startProcess, type ServiceProcess } from '../helpers/processes.ts';
import { allTopics } from '../helpers/runner.ts';

const USER = 'era-stage';
const PASSWORD = 'Pw-correct-7f3a9c1e';
const WRONG = 'Pw-wrong-0b5d2e84';

describe('fault: SASL/SCRAM-authenticated Kafka', () => {
  let broker: FaultKafka;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    broker = await startFaultKafka({ scramUsers: { [USER]: PASSWORD } });
    db = await createTestDatabase();
  }, 180_000);
  afterAll(async () => {
    await db?.drop();
    await broker?.destroy();
  }, 120_000);

  const stageEnv = (prefix: string, password: string): Record<string, string> => ({
    KAFKA_BROKERS: broker.saslAddress!, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: USER, KAFKA_SASL_PASSWORD: password,
    TOPIC_PREFIX: prefix, GROUP_PREFIX: uniqueName('g'), TOPIC_PARTITIONS: '1', DATABASE_URL: db.url, CHUNK_TOKENS: '64', CHUNK_OVERLAP: '8',
    METRICS_PORT: '0', LOG_LEVEL: 'debug', COMMIT_INTERVAL_MS: '200',
  });

  const dump = (name: string, proc: ServiceProcess): void => {
    const file = `/tmp/era-faults-sasl-${name}-${Date.now()}.log`;
    writeFileSync(file, proc.output());
    console.log(`[faults/sasl] ${name} output: ${file}`);
  };

  it('a stage with the right SCRAM-SHA-512 credentials starts and chunks a document; the password is never logged', async () => {
    const prefix = uniqueName('sasl');
    const topics = topicNames(prefix);
    const kit = new KafkaTestKit([broker.address]); // PLAINTEXT listener: the test's own view
    kit.track(...allTopics(prefix));
    const proc = startProcess('src/cli/main.ts', ['stage', 'chunk'], stageEnv(prefix, PASSWORD));
    const kafka = createKafka({ kafkaBrokers: [broker.saslAddress!], kafkaClientId: 'sasl-test', kafkaSsl: false, kafkaSslCa: undefined, kafkaSaslMechanism: 'scram-sha-512', kafkaSaslUsername: USER, kafkaSaslPassword: PASSWORD });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    try {
      await proc.waitForOutput('"msg":"stage chunk started"', 90_000);
      await producer.connect();
      await producer.send({ topic: topics.raw, messages: [rawRecord(corpusDocument(1), { nowMs: Date.now() })] });
      const chunks = await kit.readAll(topics.chunks, 1, 60_000);
      expect(chunks.length).toBeGreaterThanOrEqual(1);
      expect(chunks.map((c) => c.key?.toString())).toContain('doc-1');
      expect(proc.child.exitCode).toBeNull();
    } catch (error) {
      dump('correct', proc);
      throw error;
    } finally {
      await producer.disconnect().catch(() => undefined);
      proc.kill('SIGTERM');
      const code = await proc.exited;
      await kit.cleanup().catch(() => undefined);
      console.log(`[faults/sasl] correct credentials: exit code on SIGTERM ${code}`);
    }
    expect(proc.output()).toContain('"msg":"stage chunk started"');
    expect(proc.output()).not.toContain(PASSWORD);
  });

  it('a stage with a wrong password exits non-zero at start with an authentication error; the password is never logged', async () => {
    const prefix = uniqueName('sasl');
    const t0 = Date.now();
    const proc = startProcess('src/cli/main.ts', ['stage', 'chunk'], stageEnv(prefix, WRONG));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
    const code = await proc.exited;
    clearTimeout(timer);
    const ms = Date.now() - t0;
    const out = proc.output();
    const fatal = out.split('\n').find((l) => l.includes('"level":"fatal"')) ?? '(no fatal line)';
    console.log(`[faults/sasl] wrong password: exit ${code} after ${ms} ms; ${fatal}`);
    try {
      expect(code).not.toBe(0);
      expect(typeof code).toBe('number'); // exited by itself, not killed by the timer
      expect(fatal).toMatch(/SASL|authentication failed/i);
      expect(out).not.toContain('"msg":"stage chunk started"');
      expect(out).not.toContain(WRONG);
      expect(out).not.toContain(PASSWORD);
    } catch (error) {
      dump('wrong', proc);
      throw error;
    }
  });
});
