/**
 * Fault (b): the Kafka broker stops for 20 s in the middle of a run and comes back. The stages
 * must recover by themselves (no restart by anyone): nothing lost, nothing dead-lettered,
 * every stage process still running. Uses a private broker on its own port (never the shared
 * one other tests use), started and stopped by infra/kafka/kafka.sh.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, expectStoredExactly, logLines, retrySummary, sleep, SOAK, trickle, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { startFaultKafka, type FaultService } from '../helpers/fault-services.ts';
import { startPipeline } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DOCS = SOAK ? 1000 : 300;
const DOWN_MS = 20_000;

describe('fault: Kafka broker outage', () => {
  let broker: FaultService;
  beforeAll(async () => {
    broker = await startFaultKafka();
  }, 180_000);
  afterAll(async () => {
    await broker?.destroy();
  }, 120_000);

  it(`stages recover by themselves from a ${DOWN_MS / 1000} s broker outage; ${DOCS} documents stored exactly once`, async () => {
    const p = await startPipeline({ brokers: [broker.address], chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
    try {
      p.double.setLatency(40); // keeps work in flight when the broker goes away
      const docs = corpus(DOCS, 0, 'job-broker');
      await trickle(p, docs, 3_000, 5);
      const { rows: [before] } = await p.sql.query('SELECT count(*)::int AS n FROM documents');
      const outageMs = await broker.outage(DOWN_MS);
      const { rows: [during] } = await p.sql.query('SELECT count(*)::int AS n FROM documents');
      const back = Date.now();
      // A stage whose process exits on the outage is a bug (it must recover by itself).
      expectStagesRunning(p);
      const drainMs = await waitForDrain(p, docs, 150_000);
      // kafkajs consumer crashes (and whether kafkajs restarted the consumer) during the outage.
      const crashes = [...p.stages].map(([name, s]) => `${name}: ${logLines(s, '"msg":"Crash: ').length} crash, ${logLines(s, 'Restarting the consumer').length} restart`).join('; ');
      console.log(`[faults/broker] ${DOCS} docs; stored before outage ${before.n}, when the broker came back ${during.n}; stop + ${DOWN_MS} ms + start took ${outageMs} ms; drained ${drainMs} ms after it came back; retries: ${retrySummary(p)}; kafkajs: ${crashes}`);
      await waitForGroupsAtEnd(p);
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      expectStagesRunning(p);
    } catch (error) {
      const file = `/tmp/era-faults-broker-${Date.now()}.log`;
      // Each stage's own view at the failure: its partitions, pauses, in-flight work and commits.
      const views = await Promise.all([...p.stages].map(async ([name, s]) => {
        const port = /"port":(\d+),"msg":"metrics/.exec(s.output())?.[1];
        const text = port ? await (await fetch(`http://127.0.0.1:${port}/metrics`)).text().catch((e: Error) => e.message) : 'no port';
        return `==== ${name} metrics\n${text.split('\n').filter((l) => /^era_(in_flight|paused|assigned|committed_offset|oldest|consumer_lag)/.test(l)).join('\n')}`;
      }));
      writeFileSync(file, [...views, ...[...p.stages].map(([name, s]) => `==== ${name}\n${s.output()}`)].join('\n'));
      console.log(`[faults/broker] full stage output: ${file}`);
      throw error;
    } finally {
      const stages = [...p.stages].map(([name, s]) => `${name}: ${s.output().split('\n').filter((l) => !l.includes('"level":"info"') || /halted|started|joined|stopped/.test(l)).slice(-12).join('\n')}`).join('\n----\n');
      const codes = await p.stop();
      console.log(`[faults/broker] stage exit codes on SIGTERM: ${JSON.stringify(codes)}\n${stages.slice(-6000)}`);
    }
  });
});
