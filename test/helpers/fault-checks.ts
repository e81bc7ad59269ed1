/**
 * Checks shared by the fault-injection scenarios (test/faults): publish a known corpus, wait
 * for the drain, and verify that every document is stored exactly once with exactly the chunks
 * the chunker produces, nothing half-stored, nothing dead-lettered, every stage still running.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { lagPerPartition, totalLag } from '../../src/flow-control/lag.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import type { RawDocument } from '../../src/topics/messages.ts';
import { rawRecord } from '../../src/topics/raw-record.ts';
import type { TestPipeline } from './pipeline.ts';
import { descendants, type ServiceProcess } from './processes.ts';
import { waitFor } from './wait-for.ts';

/** More documents and rounds with FAULTS_SOAK=1. */
export const SOAK = process.env.FAULTS_SOAK === '1';
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const CHUNKER = { maxTokens: 64, overlapTokens: 8 };

/** Expected chunk ids of the corpus (ids depend on the content, not on the version). */
export function expectedChunkIds(docs: RawDocument[]): Set<string> {
  return new Set(docs.flatMap((d) => chunkDocument(d, { version: 0 }, CHUNKER).map((c) => c.chunkId)));
}

/** Publishes `docs` in `batches` equal slices spread over `overMs` (a run that is in progress while faults hit). */
export async function trickle(p: TestPipeline, docs: RawDocument[], overMs: number, batches = 20): Promise<void> {
  const size = Math.ceil(docs.length / batches);
  for (let i = 0; i < docs.length; i += size) {
    await p.kit.produce(p.topics.raw, docs.slice(i, i + size).map((d) => rawRecord(d, { nowMs: Date.now() })));
    if (i + size < docs.length) await sleep(overMs / batches);
  }
}

async function counts(p: TestPipeline): Promise<{ docs: number; chunks: number }> {
  const { rows: [row] } = await p.sql.query('SELECT (SELECT count(*)::int FROM documents) AS docs, (SELECT count(*)::int FROM chunks) AS chunks');
  return row as { docs: number; chunks: number };
}

/** Waits until the database holds every document and chunk; resolves with the wait, ms. */
export async function waitForDrain(p: TestPipeline, docs: RawDocument[], timeoutMs = 150_000): Promise<number> {
  const t0 = Date.now();
  const chunks = expectedChunkIds(docs).size;
  let last = { docs: 0, chunks: 0 };
  await waitFor(async () => {
    last = await counts(p).catch(() => last);
    return last.docs >= docs.length && last.chunks >= chunks;
  }, { timeoutMs, intervalMs: 250, what: `${docs.length} documents / ${chunks} chunks stored (have ${JSON.stringify(last)})` });
  return Date.now() - t0;
}

/**
 * Every document stored exactly once, at the version of its record in era.raw (an offset), with
 * exactly the expected chunk ids, and no document row without all of its chunks (`chunk_count`
 * = stored chunks of its version).
 */
export async function expectStoredExactly(p: TestPipeline, docs: RawDocument[]): Promise<void> {
  const { rows: docRows } = await p.sql.query('SELECT doc_id, version::text AS version FROM documents');
  expect(docRows.length).toBe(docs.length);
  expect(new Set(docRows.map((r) => r.doc_id))).toEqual(new Set(docs.map((d) => d.id)));
  const offsets = await rawOffsets(p);
  expect(docRows.filter((r) => offsets.get(r.doc_id as string) !== Number(r.version)), 'documents whose version is not the offset of their record in era.raw').toEqual([]);
  const { rows: chunkRows } = await p.sql.query('SELECT chunk_id FROM chunks');
  const expected = expectedChunkIds(docs);
  expect(chunkRows.length).toBe(expected.size);
  expect(new Set(chunkRows.map((r) => r.chunk_id))).toEqual(expected);
  expect(await halfStored(p)).toEqual([]);
}

/** The offset of each document's last record in era.raw (its expected version). */
export async function rawOffsets(p: TestPipeline): Promise<Map<string, number>> {
  const total = await p.kit.count(p.topics.raw);
  const records = await p.kit.readAll(p.topics.raw, total);
  const last = new Map<string, number>();
  for (const r of records) {
    const key = r.key?.toString() ?? '';
    last.set(key, Math.max(last.get(key) ?? -1, Number(r.offset)));
  }
  return last;
}

/** Documents whose row exists without all the chunks of its current version. */
export async function halfStored(p: { sql: TestPipeline['sql'] }): Promise<string[]> {
  const { rows } = await p.sql.query(
    `SELECT d.doc_id FROM documents d
       LEFT JOIN chunks c ON c.doc_id = d.doc_id AND c.content_hash = d.content_hash
      GROUP BY d.doc_id, d.chunk_count HAVING count(c.chunk_id) <> d.chunk_count`);
  return rows.map((r) => r.doc_id as string);
}

export const dlqCount = (p: TestPipeline): Promise<number> => p.kit.count(p.topics.dlq);

/** A stage's input lag now: records on its input topics its group has not committed (as KEDA and the flow controller count it). */
export async function stageLag(p: TestPipeline, stage: string): Promise<number> {
  let lag = 0;
  for (const topic of PIPELINE.inputTopics(PIPELINE.stage(stage), p.prefix)) {
    const [ends, committed] = await Promise.all([p.kit.endOffsets(topic), p.kit.committed(`${p.env.GROUP_PREFIX}.${stage}`, topic)]);
    lag += totalLag(lagPerPartition([...ends].map(([partition, high]) => ({ partition, high: high.toString() })), [...committed].map(([partition, offset]) => ({ partition, offset: offset.toString() }))));
  }
  return lag;
}

/**
 * Every document of `jobId` reaches `complete` in the job tracking the stages write, none
 * `failed`: waits for it in the database, then reads it back the way an operator does
 * (`era-ingest status <job> --json`).
 */
export async function expectJobComplete(p: TestPipeline, jobId: string, docs: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => {
    const { rows } = await p.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM job_documents WHERE job_id = $1 AND phase = 'complete'", [jobId]);
    return rows[0]!.n >= docs;
  }, { timeoutMs, intervalMs: 250, what: `${docs} documents of ${jobId} complete` });
  const status = await p.cli(['status', jobId, '--json']);
  expect(status.code, status.output).toBe(0);
  const summary = JSON.parse(status.output.slice(status.output.search(/^\{/m))) as { phases: Record<string, number>; done: number };
  expect(summary.phases, jobId).toMatchObject({ complete: docs, failed: 0 });
  expect(summary.done, jobId).toBe(1);
}

/**
 * Waits until every stage's group has committed the end of its input topics: everything
 * published has been processed and its outputs (and dead letters) are durable. The signal to
 * wait for before checking that something did *not* happen (no duplicate, no dead letter).
 */
export async function waitForGroupsAtEnd(p: TestPipeline, { timeoutMs = 120_000, except = [] as readonly string[] } = {}): Promise<void> {
  for (const stage of PIPELINE.stages.filter((s) => !except.includes(s.name))) {
    for (const topic of PIPELINE.inputTopics(stage, p.prefix)) {
      const group = `${p.env.GROUP_PREFIX}.${stage.name}`;
      try {
        await p.kit.waitForCommittedToEnd(group, topic, timeoutMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${await describeBacklog(p, group, topic)}`);
      }
    }
  }
}

/**
 * What a group has not committed on `topic`: per partition its commit and the end, and the
 * records in between that a reader sees (transaction markers occupy offsets but are never
 * delivered), with their keys: tells a consumer that stopped from records it cannot read.
 */
async function describeBacklog(p: TestPipeline, group: string, topic: string): Promise<string> {
  const [ends, committed] = await Promise.all([p.kit.endOffsets(topic), p.kit.committed(group, topic)]);
  const records = await p.kit.readFor(topic, 10_000).catch(() => []);
  const lines: string[] = [];
  for (const [partition, end] of ends) {
    const from = committed.get(partition) ?? -1n;
    if (from === end) continue;
    const visible = records.filter((r) => r.partition === partition && BigInt(r.offset) >= from);
    lines.push(`  ${topic}:${partition} committed ${from}, end ${end}: ${visible.length} readable record(s) in between` +
      (visible.length ? ` at offsets ${visible.slice(0, 5).map((r) => `${r.offset}(${r.key?.toString() ?? 'null'})`).join(' ')}${visible.length > 5 ? ' …' : ''}` : ''));
  }
  return `group ${group} on ${topic}:\n${lines.join('\n')}`;
}

export const running = (proc: ServiceProcess | undefined): boolean => !!proc && proc.child.exitCode === null && proc.child.signalCode === null;

/** Every stage process of the pipeline is still running; the message names the dead ones. */
export function expectStagesRunning(p: TestPipeline): void {
  const dead = [...p.stages].filter(([, proc]) => !running(proc)).map(([name, proc]) => `${name} (exit ${proc.child.exitCode ?? proc.child.signalCode}):\n${proc.output().slice(-3000)}`);
  expect(dead, dead.join('\n----\n')).toEqual([]);
}

/** Log lines of a stage process matching `msg` (JSON logs). */
export function logLines(proc: ServiceProcess, msg: string | RegExp): string[] {
  return proc.output().split('\n').filter((l) => (typeof msg === 'string' ? l.includes(msg) : msg.test(l)));
}

/** Retries a stage logged ("dependency failure, retrying"), by error code. */
export function retriesByCode(proc: ServiceProcess): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of logLines(proc, '"msg":"dependency failure, retrying"')) {
    const code = /"code":"([^"]+)"/.exec(line)?.[1] ?? '?';
    out[code] = (out[code] ?? 0) + 1;
  }
  return out;
}

/** A one-line summary for the test log: retries per stage. */
export function retrySummary(p: TestPipeline): string {
  return [...p.stages].map(([name, proc]) => `${name}=${JSON.stringify(retriesByCode(proc))}`).join(' ');
}

/** Whether `pid` still runs (a zombie waiting to be reaped does not). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/**
 * SIGKILLs a stage process — the service itself, not only its tsx wrapper: no orphan keeps
 * consuming — and starts it again. Resolves with when it died (ms since `t0`).
 */
export async function killAndRestart(p: TestPipeline, name: string, t0: number): Promise<number> {
  const proc = p.stages.get(name)!;
  const tree = descendants(proc.child.pid!); // tsx's node child: the real service
  expect(tree.length).toBeGreaterThan(0);
  proc.kill('SIGKILL');
  expect(await proc.exited).toBe('SIGKILL');
  await waitFor(() => tree.every((pid) => !alive(pid)), { timeoutMs: 5_000, what: `${name} process tree to die` });
  const at = Date.now() - t0;
  await p.startStage(name);
  return at;
}

/**
 * One killer per stage, concurrently: a random moment (1–5 s), SIGKILL, restart; `kills` times
 * each. Resolves with what happened, one line per kill.
 */
export async function killRepeatedly(p: TestPipeline, names: readonly string[], kills: number, t0: number): Promise<string[]> {
  const killLog: string[] = [];
  await Promise.all(names.map(async (name) => {
    for (let k = 0; k < kills; k++) {
      await sleep(1_000 + Math.random() * 4_000);
      const at = await killAndRestart(p, name, t0);
      killLog.push(`${name} killed at ${at} ms, back at ${Date.now() - t0} ms`);
    }
  }));
  return killLog;
}
