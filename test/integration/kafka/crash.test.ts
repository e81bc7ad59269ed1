import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit } from '../../helpers/kafka.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startProcess, type ServiceProcess } from '../../helpers/processes.ts';
import { allTopics } from '../../helpers/runner.ts';
import { kafkaBrokers } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('a stage process killed with SIGKILL mid-run', () => {
  const kit = new KafkaTestKit();
  const processes: ServiceProcess[] = [];
  afterEach(async () => {
    for (const p of processes) p.kill('SIGKILL');
    await kit.cleanup();
  });

  it('loses no output after a restart', async () => {
    const prefix = uniqueName('t');
    kit.track(...allTopics(prefix));
    const input = await kit.topic('in', 3);
    const output = await kit.topic('out', 3);
    const groupPrefix = uniqueName('g');
    const env = { KAFKA_BROKERS: kafkaBrokers().join(','), TOPIC_PREFIX: prefix, GROUP_PREFIX: groupPrefix, TOPIC_PARTITIONS: '3', INPUT_TOPIC: input, OUTPUT_TOPIC: output, COMMIT_INTERVAL_MS: '200', LOG_LEVEL: 'warn', METRICS_PORT: '0' };
    const total = 3000;
    await kit.produce(input, Array.from({ length: total }, (_, i) => ({ key: `d${i}`, value: JSON.stringify({ id: `d${i}`, n: 3, delayMs: 3 }) })));

    const first = startProcess('test/fixtures/fanout-service.ts', [], env);
    processes.push(first);
    await first.waitForOutput('READY');
    await waitFor(async () => (await kit.count(output)) >= 1500, { timeoutMs: 60_000, what: 'the first process to be mid-run' });
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const before = await kit.count(output);
    expect(before).toBeLessThan(total * 3); // really mid-run

    const second = startProcess('test/fixtures/fanout-service.ts', [], env);
    processes.push(second);
    await second.waitForOutput('READY');
    await kit.waitForCommittedToEnd(`${groupPrefix}.fanout`, input, 120_000);
    const records = await kit.readAll(output, total * 3);
    const values = new Set(records.map((r) => r.value!.toString()));
    const missing: string[] = [];
    for (let i = 0; i < total; i++) for (let j = 0; j < 3; j++) if (!values.has(`d${i}#${j}`)) missing.push(`d${i}#${j}`);
    expect(missing).toEqual([]);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
