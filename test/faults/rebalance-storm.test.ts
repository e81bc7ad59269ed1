/**
 * Fault (f): a rebalance storm. While a corpus is ingested, extra embed and store replicas join
 * and leave their consumer groups again and again (each join or leave is a rebalance of that
 * group). Revoked partitions must never be committed by their former owner; every document is
 * stored exactly once; nothing is dead-lettered.
 */
import { describe, expect, it } from 'vitest';
import { corpus } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, expectStoredExactly, retrySummary, sleep, SOAK, trickle, waitForDrain, waitForGroupsAtEnd } from '../helpers/fault-checks.ts';
import { startPipeline } from '../helpers/pipeline.ts';
import { startProcess, type ServiceProcess } from '../helpers/processes.ts';

const DOCS = SOAK ? 1000 : 300;
const ROUNDS = SOAK ? 6 : 3;

/** A member's group joins (its assignment) and commits (what it sent, when), from its JSON log. */
interface MemberEvent { at: number; member: string; kind: 'join' | 'commit'; partitions: string[] }

function memberEvents(member: string, output: string): MemberEvent[] {
  const events: MemberEvent[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { msg?: string; time?: string; partitions?: string[]; offsets?: string[]; sentAt?: number };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    // Log times are ISO strings (src/log/logger.ts); commit times are ms epochs.
    if (entry.msg === 'group joined' && entry.partitions) events.push({ at: Date.parse(entry.time!), member, kind: 'join', partitions: entry.partitions });
    if (entry.msg === 'offsets committed' && entry.offsets) events.push({ at: entry.sentAt!, member, kind: 'commit', partitions: entry.offsets.map((o) => o.slice(0, o.lastIndexOf('@'))) });
  }
  return events;
}

/**
 * Commits of a partition by a member that had lost it: at the moment the commit was sent, the
 * member's own latest assignment lacks the partition, or another member was given it in a later
 * join than that assignment.
 */
function commitsAfterRevoke(events: MemberEvent[]): string[] {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const violations: string[] = [];
  for (const commit of sorted.filter((e) => e.kind === 'commit')) {
    const joins = sorted.filter((e) => e.kind === 'join' && e.at <= commit.at);
    const own = joins.filter((j) => j.member === commit.member).at(-1);
    // What the member's log said around the commit, to tell a real violation from a log-order one.
    const around = (): string => sorted.filter((e) => e.member === commit.member && e.kind === 'join' && Math.abs(e.at - commit.at) < 5_000)
      .map((e) => `join@${e.at}[${e.partitions.join(' ')}]`).join(', ');
    for (const partition of commit.partitions) {
      if (!own?.partitions.includes(partition)) violations.push(`${commit.member} committed ${partition} at ${commit.at} outside its assignment (own joins ±5 s: ${around()}; last before: ${own ? `${own.at}[${own.partitions.join(' ')}]` : 'none'})`);
      const taken = joins.find((j) => j.member !== commit.member && j.at > (own?.at ?? 0) && j.partitions.includes(partition));
      if (taken) violations.push(`${commit.member} committed ${partition} at ${commit.at} after ${taken.member} was given it at ${taken.at}`);
    }
  }
  return violations;
}

describe('fault: rebalance storm', () => {
  it(`stores ${DOCS} documents exactly once while embed and store replicas join and leave ${ROUNDS} times`, async () => {
    // Debug logs: every commit with the time it was sent, to check ownership afterwards.
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens, extraEnv: { LOG_LEVEL: 'debug' } });
    const replicas: Array<{ name: string; proc: ServiceProcess }> = [];
    try {
      p.double.setLatency(30);
      const docs = corpus(DOCS, 0, 'job-rebalance');
      const t0 = Date.now();
      const events: string[] = [];
      const publishing = trickle(p, docs, SOAK ? 60_000 : 20_000);
      const storm = (async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const started = await Promise.all(['embed', 'store'].map(async (name) => {
            const r = startProcess('src/cli/main.ts', ['stage', name], p.env);
            replicas.push({ name: `${name}-replica-${round}`, proc: r });
            await r.waitForOutput(`"msg":"stage ${name} started"`, 90_000);
            await r.waitForOutput('"msg":"group joined"', 60_000);
            events.push(`round ${round}: ${name} replica joined at ${Date.now() - t0} ms`);
            return [name, r] as const;
          }));
          await sleep(1_000 + Math.random() * 2_000);
          await Promise.all(started.map(async ([name, r]) => {
            r.kill('SIGTERM');
            const code = await r.exited;
            events.push(`round ${round}: ${name} replica left (exit ${code}) at ${Date.now() - t0} ms`);
            expect(code, r.output().slice(-3000)).toBe(0);
          }));
        }
      })();
      await Promise.all([publishing, storm]);
      const drainMs = await waitForDrain(p, docs, 120_000);
      const joins = [...p.stages.values()].reduce((n, s) => n + (s.output().match(/"msg":"group joined"/g)?.length ?? 0), 0);
      console.log(`[faults/rebalance] ${DOCS} docs; ${ROUNDS} rounds; group joins seen by the main stages: ${joins}; drained ${drainMs} ms after the storm (${Date.now() - t0} ms total); retries: ${retrySummary(p)}\n  ${events.join('\n  ')}`);
      await waitForGroupsAtEnd(p);
      await expectStoredExactly(p, docs);
      expect(await dlqCount(p)).toBe(0);
      expectStagesRunning(p);
      // No member ever committed a partition after it was taken from it.
      for (const stage of ['embed', 'store']) {
        const events = [
          ...memberEvents(`${stage}-main`, p.stages.get(stage)!.output()),
          ...replicas.filter((r) => r.name.startsWith(`${stage}-`)).flatMap((r) => memberEvents(r.name, r.proc.output())),
        ];
        const joins = events.filter((e) => e.kind === 'join').length;
        const commits = events.filter((e) => e.kind === 'commit').length;
        expect(joins, `${stage}: group joins seen`).toBeGreaterThanOrEqual(2 * ROUNDS);
        expect(commits, `${stage}: commits seen`).toBeGreaterThan(0);
        expect(commitsAfterRevoke(events), stage).toEqual([]);
      }
    } finally {
      for (const { proc: r } of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.kill('SIGKILL');
      await p.stop();
    }
  });
});
