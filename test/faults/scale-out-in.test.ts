/**
 * Fault (g): a stage scaled out and in while it works, as KEDA does by lag (infra/k8s: desired
 * replicas = ceil(lag / lagThreshold); the HPA adds pods, and removes them with SIGTERM).
 *
 * One replica per stage; a backlog of documents is published at once; once the chunk stage has
 * passed it on, the slowest stage — the one with the largest input lag, checked here, not
 * assumed — gets a second and then a third replica (each must be given partitions of its own
 * and process records), which are then removed one at a time with SIGTERM while backlog still
 * waits (each must exit 0). Afterwards: every document stored exactly once with exactly its
 * chunks, nothing dead-lettered, every document's job complete, the original stages running.
 *
 * The slowest stage: with the Ollama double the fault tests use (test/helpers/ollama-double.ts,
 * hash vectors behind /api/embed) at the neighbours' 30 ms, a 600-document backlog drains in
 * about 5 s, the embed group's lag peaking near 2 000 chunks while minister and store stay under
 * 200: embed is the bottleneck. The double is set slower here (EMBED_LATENCY) so that the
 * backlog outlasts the replicas' start-up (a few seconds each through tsx on 2 cores), and every
 * replica of the scaled stage holds at most SCALED_IN_FLIGHT chunks: KEDA scales a backlog far
 * larger than what one replica holds in flight, and so does this test (with the default
 * MAX_IN_FLIGHT of 2 000 a replica fetches its whole share of this 3 000-chunk backlog, and the
 * drain after its SIGTERM finishes it: nothing would be left to scale in on).
 */
import { describe, expect, it } from 'vitest';
import { metricSum, scrapeMetrics } from '../../bench/lib/child.ts';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { rawRecord } from '../../src/topics/raw-record.ts';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectJobComplete, expectStagesRunning, expectStoredExactly, retrySummary, SOAK, stageLag, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { startPipeline } from '../helpers/pipeline.ts';
import { startProcess, type ServiceProcess } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DOCS = SOAK ? 1500 : 600;
/** The stage scaled out and in (asserted to be the one with the largest lag). */
const SCALED = 'embed';
/** The double's time per request and per input, ms: one embed replica (2 requests of 16 at once) then does about 55 chunks/s. */
const EMBED_LATENCY = { requestMs: 400, itemMs: 10 };
/** MAX_IN_FLIGHT of every replica of the scaled stage: about a fifteenth of the backlog. */
const SCALED_IN_FLIGHT = '200';
/** Records each added replica must have produced before the scale-in starts. */
const WORKED = 128;

/** An added replica: its process, when it joined, the partitions it was given, its /metrics port. */
interface Replica { name: string; proc: ServiceProcess; partitions: string[]; metricsPort: number }

/** Partitions of the replica's latest "group joined" log line (JSON logs, src/kafka/stage-runner.ts). */
function assignedPartitions(output: string): string[] {
  const joins = output.split('\n').filter((l) => l.startsWith('{') && l.includes('"msg":"group joined"'));
  const last = joins.at(-1);
  return last ? (JSON.parse(last) as { partitions: string[] }).partitions : [];
}

describe('fault: a stage scaled out and in while it works', () => {
  it(`stores ${DOCS} documents exactly once while the slowest stage goes from 1 to 3 replicas and back, the added ones leaving on SIGTERM`, async () => {
    const scaledEnv = { MAX_IN_FLIGHT: SCALED_IN_FLIGHT };
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens, stageEnv: { [SCALED]: scaledEnv } });
    const replicas: Replica[] = [];
    try {
      p.double.setLatency(EMBED_LATENCY.requestMs, EMBED_LATENCY.itemMs);
      const jobId = `job-scale-${p.prefix}`;
      const docs = corpus(DOCS, 0, jobId);
      const t0 = Date.now();
      const events: string[] = [];
      const note = (what: string): void => void events.push(`${what} at ${Date.now() - t0} ms`);
      const storedDocs = async (): Promise<number> => (await p.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM documents')).rows[0]!.n;
      const lags = async (): Promise<Record<string, number>> => Object.fromEntries(await Promise.all(PIPELINE.stageNames.map(async (s) => [s, await stageLag(p, s)] as const)));

      await p.kit.produce(p.topics.raw, docs.map((d) => rawRecord(d, { nowMs: Date.now() })));
      note(`backlog of ${DOCS} documents published`);
      // The backlog has left era.raw: now the lags say which stage holds it up.
      await p.kit.waitForCommittedToEnd(`${p.env.GROUP_PREFIX}.chunk`, p.topics.raw, 60_000);
      const before = await lags();
      note(`chunk stage through the backlog; lags ${JSON.stringify(before)}`);
      const slowest = Object.entries(before).sort(([, a], [, b]) => b - a)[0]![0];
      expect(slowest, `the stage with the largest lag (lags: ${JSON.stringify(before)})`).toBe(SCALED);

      // Scale out, one replica at a time as the HPA adds pods: each must get partitions of its own.
      for (const n of [2, 3]) {
        const name = `${SCALED}-${n}`;
        const proc = startProcess('src/cli/main.ts', ['stage', SCALED], { ...p.env, ...scaledEnv });
        replicas.push({ name, proc, partitions: [], metricsPort: 0 });
        await proc.waitForOutput(`"msg":"stage ${SCALED} started"`, 90_000);
        await proc.waitForOutput('"msg":"group joined"', 60_000);
        const replica = replicas.at(-1)!;
        replica.metricsPort = Number(/"port":(\d+),"msg":"metrics, \/healthz and \/readyz listening"/.exec(proc.output())?.[1]);
        replica.partitions = assignedPartitions(proc.output());
        note(`${name} joined with ${replica.partitions.join(' ') || 'no partitions'} (lag ${await stageLag(p, SCALED)})`);
        expect(replica.partitions, `${name}: partitions from its "group joined" line`).not.toEqual([]);
      }

      // Let the three work, then scale in while backlog remains: SIGTERM, one replica at a time.
      const produced = async (r: Replica): Promise<number> => {
        const text = await scrapeMetrics(r.metricsPort);
        return text ? metricSum(text, 'era_messages_out_total', { stage: SCALED }) : 0;
      };
      for (const r of replicas) await waitFor(async () => (await produced(r)) >= WORKED, { timeoutMs: 120_000, intervalMs: 250, what: `${r.name} to produce ${WORKED} records` });
      note(`both added replicas working, ${await storedDocs()} documents stored`);
      for (const replica of [...replicas].reverse()) {
        const processed = await produced(replica);
        const lag = await stageLag(p, SCALED);
        note(`${replica.name} gets SIGTERM after producing ${processed} records, holding ${assignedPartitions(replica.proc.output()).join(' ')}, lag ${lag}`);
        expect(lag, `${replica.name}: backlog left when it is removed (else the scale-in came after the work)`).toBeGreaterThan(0);
        replica.proc.kill('SIGTERM');
        const code = await replica.proc.exited;
        note(`${replica.name} exited ${code}`);
        expect(code, replica.proc.output().slice(-3000)).toBe(0);
      }
      const leftAt = await storedDocs();
      note(`scaled back to 1 with ${DOCS - leftAt} documents not yet stored`);

      const drainMs = await waitForDrain(p, docs, 240_000);
      await waitForGroupsAtEnd(p); // late duplicates (redelivery after the rebalances) would show up by then
      const perDoc = new Map<string, number>();
      for (const e of p.stored) perDoc.set(e.id, (perDoc.get(e.id) ?? 0) + 1);
      const repeated = [...perDoc.values()].filter((n) => n > 1).length;
      console.log(`[faults/scale] ${DOCS} docs; ${SCALED} 1 → 3 → 1 replicas; drained ${drainMs} ms after the scale-in (${Date.now() - t0} ms total); ` +
        `${repeated} documents with a repeated era.stored event (at-least-once redelivery across the rebalances, absorbed by the store); retries: ${retrySummary(p)}\n  ${events.join('\n  ')}`);
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      await expectJobComplete(p, jobId, DOCS);
      expectStagesRunning(p);
    } finally {
      for (const { proc } of replicas) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.kill('SIGKILL');
      await p.stop();
    }
  });
});
