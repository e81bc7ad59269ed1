/**
 * The CLI a person uses, against the running pipeline (four stage processes, real Kafka,
 * real PostgreSQL, the Ollama-API test double): publish → status, exit codes and --json,
 * replay for re-ingestion, and DLQ replay after a fix.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type TestPipeline } from '../../helpers/pipeline.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** The JSON document a `--json` command printed (pretty-printed, starting at a line's first column). */
const json = <T>(output: string): T => JSON.parse(output.slice(output.search(/^[[{]/m))) as T;

describe('era-ingest CLI against the running pipeline', () => {
  let p: TestPipeline;
  let dir: string;

  beforeAll(async () => {
    p = await startPipeline();
    dir = mkdtempSync(join(tmpdir(), 'era-cli-'));
  }, 240_000);

  afterAll(async () => {
    const codes = await p.stop();
    expect(Object.values(codes).every((c) => c === 0)).toBe(true);
  }, 120_000);

  it('answers usage errors with exit code 2 and help with 0', async () => {
    expect((await p.cli(['--help'])).code).toBe(0);
    expect((await p.cli(['stage', '--help'])).code).toBe(0);
    expect((await p.cli(['no-such-command'])).code).toBe(2);
    expect((await p.cli(['stage', 'bogus'])).code).toBe(2);
    expect((await p.cli(['search', 'x', '-k', 'many'])).code).toBe(2);
    const badConfig = await p.cli(['topics', 'create'], { KAFKA_BROKERS: 'not-a-broker' });
    expect(badConfig.code).toBe(2);
    expect(badConfig.output).toMatch(/KAFKA_BROKERS="not-a-broker" is invalid/);
    // `status` reads run's embedded store without it (test/unit/cli/status-embedded.test.ts); `watch` follows the stages' PostgreSQL only.
    const noDb = await p.cli(['watch', 'job-cli-none'], { DATABASE_URL: '' });
    expect(noDb.code).toBe(2);
    expect(noDb.output).toMatch(/set DATABASE_URL/);
    // Every store writer holds a connection for its whole transaction.
    const writers = await p.cli(['stage', 'store'], { STORE_WRITERS: '3', DB_POOL_SIZE: '2' });
    expect(writers.code).toBe(2);
    expect(writers.output).toMatch(/STORE_WRITERS=3 exceeds DB_POOL_SIZE=2/);
  });

  it('publishes files under a job and reports the job complete by phase', async () => {
    writeFileSync(join(dir, 'a.md'), '# Budget\n\nThe treasury cut the deficit and raised income tax thresholds.');
    writeFileSync(join(dir, 'b.txt'), 'Hospital waiting lists fell as clinics opened in the evening.');
    writeFileSync(join(dir, 'c.jsonl'), `${JSON.stringify({ id: 'c-1', text: 'Schools extended free breakfasts.' })}\n${JSON.stringify({ id: 'c-2', text: 'Rivers are cleaner after new fertiliser rules.' })}\n`);
    const published = await p.cli(['publish', dir, '--job', 'job-cli-1', '--json']);
    expect(published.code, published.output).toBe(0);
    expect(json<{ jobId: string; published: number }>(published.output)).toMatchObject({ jobId: 'job-cli-1', published: 4 });
    const status = await waitFor(async () => {
      const r = await p.cli(['status', 'job-cli-1', '--json']);
      const s = r.code === 0 ? json<{ phases: Record<string, number>; done: number }>(r.output) : undefined;
      return s && s.phases.complete === 4 ? s : undefined;
    }, { timeoutMs: 90_000, intervalMs: 500, what: 'job-cli-1 to complete' });
    expect(status.done).toBe(1);
    expect(status.phases.failed).toBe(0);
    const recent = await p.cli(['status', '--json']);
    expect(json<Array<{ jobId: string }>>(recent.output).map((j) => j.jobId)).toContain('job-cli-1');
    const human = await p.cli(['status', 'job-cli-1']);
    expect(human.output).toMatch(/complete\s+4\s+100\.0%/);
    const watched = await p.cli(['watch', 'job-cli-1', '--json', '--interval', '200']);
    expect(watched.code).toBe(0); // returns by itself once every document is complete
    expect(JSON.parse(watched.output.trim().split('\n').at(-1)!)).toMatchObject({ jobId: 'job-cli-1', done: 1 });
  });

  it('publish --sync tombstones the documents of files gone, and delete <id> the ones named, through the pipeline', async () => {
    const kb = join(dir, 'kb-sync');
    mkdirSync(kb);
    writeFileSync(join(kb, 'a.md'), '# Ferries\n\nIsland ferry services run hourly in summer.');
    writeFileSync(join(kb, 'b.md'), '# Tolls\n\nBridge tolls are frozen for another year.');
    writeFileSync(join(kb, 'c.txt'), 'Cycle lanes are added on four arterial roads.');
    const current = async (): Promise<string[]> => (await p.sql.query<{ doc_id: string }>("SELECT doc_id FROM documents WHERE doc_id LIKE 'sync-t/%' ORDER BY doc_id")).rows.map((r) => r.doc_id);
    const first = await p.cli(['publish', kb, '--id-prefix', 'sync-t/', '--job', 'job-sync-1', '--json']);
    expect(first.code, first.output).toBe(0);
    await waitFor(async () => ((await current()).length === 3 ? true : undefined), { timeoutMs: 90_000, intervalMs: 500, what: 'three documents stored' });

    rmSync(join(kb, 'b.md'));
    const synced = await p.cli(['publish', kb, '--id-prefix', 'sync-t/', '--sync', '--job', 'job-sync-2', '--json']);
    expect(synced.code, synced.output).toBe(0);
    expect(json<{ published: number; deleted: Array<{ id: string; source?: string }> }>(synced.output)).toMatchObject({ published: 2, deleted: [{ id: 'sync-t/b.md', source: pathToFileURL(join(kb, 'b.md')).href }] });
    expect(await waitFor(async () => { const ids = await current(); return ids.length === 2 ? ids : undefined; }, { timeoutMs: 90_000, intervalMs: 500, what: 'b.md deleted' })).toEqual(['sync-t/a.md', 'sync-t/c.txt']);
    // A second sync finds nothing more to delete (the tombstone is era.raw's latest record for b.md).
    const again = await p.cli(['publish', kb, '--id-prefix', 'sync-t/', '--sync', '--json']);
    expect(json<{ deleted: unknown[] }>(again.output).deleted).toEqual([]);

    const deleted = await p.cli(['delete', 'sync-t/c.txt', '--job', 'job-sync-3', '--json']);
    expect(deleted.code, deleted.output).toBe(0);
    expect(json<{ published: number }>(deleted.output).published).toBe(1);
    expect(await waitFor(async () => { const ids = await current(); return ids.length === 1 ? ids : undefined; }, { timeoutMs: 90_000, intervalMs: 500, what: 'c.txt deleted' })).toEqual(['sync-t/a.md']);
  });

  it('publishes valid inputs, reports invalid ones and exits 1', async () => {
    const bad = join(dir, 'bad');
    await import('node:fs/promises').then((fs) => fs.mkdir(bad));
    writeFileSync(join(bad, 'ok.md'), '# Fine\n\nA valid document about rail fares.');
    writeFileSync(join(bad, 'broken.json'), '{"id": "x", "text": ');
    writeFileSync(join(bad, 'binary.txt'), Buffer.from([0x00, 0x01, 0x02, 0xff]));
    const r = await p.cli(['publish', bad, '--job', 'job-cli-bad', '--json']);
    expect(r.code).toBe(1);
    const summary = json<{ published: number; failures: Array<{ origin: string; reason: string }> }>(r.output);
    expect(summary.published).toBe(1);
    expect(summary.failures.map((f) => f.reason).join('\n')).toMatch(/invalid JSON[\s\S]*binary file|binary file[\s\S]*invalid JSON/);
  });

  it('replays a stage from earliest: re-ingests without duplicates or embedding calls, refusing while the stage runs', async () => {
    const refused = await p.cli(['replay', '--stage', 'chunk', '--to', 'earliest']);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/active member/);
    const before = (await p.sql.query('SELECT chunk_id FROM chunks ORDER BY chunk_id')).rows;
    const docs = (await p.sql.query('SELECT count(*)::int AS n FROM documents')).rows[0].n;
    const calls = p.double.calls;
    const seen = p.stored.length;
    expect(await p.stopStage('chunk')).toBe(0);
    const replay = await p.cli(['replay', '--stage', 'chunk', '--to', 'earliest', '--json']);
    expect(replay.code, replay.output).toBe(0);
    expect(json<{ topics: Array<{ partitions: Array<{ offset: string }> }> }>(replay.output).topics.flatMap((t) => t.partitions.map((x) => x.offset)).every((o) => o === '0')).toBe(true);
    await p.startStage('chunk');
    await waitFor(() => p.stored.length - seen >= docs, { timeoutMs: 90_000, what: 're-ingested documents' });
    expect((await p.sql.query('SELECT chunk_id FROM chunks ORDER BY chunk_id')).rows).toEqual(before);
    expect(p.double.calls).toBe(calls);
  });

  it('replays a dead letter after the cause is fixed, and the job completes', async () => {
    p.double.rejectInputsContaining('QUARANTINE');
    writeFileSync(join(dir, 'q.md'), '# Quarantine\n\nThis text mentions QUARANTINE and the embedder rejects it.');
    const published = await p.cli(['publish', join(dir, 'q.md'), '--job', 'job-cli-dlq', '--json']);
    expect(published.code).toBe(0);
    const letters = await waitFor(async () => {
      const r = await p.cli(['dlq', 'list', '--stage', 'embed', '--json']);
      const list = json<Array<{ code: string; stage: string; originalTopic: string }>>(r.output);
      return list.length ? list : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'the dead letter' });
    expect(letters[0]).toMatchObject({ stage: 'embed', code: 'EMBEDDER_REJECTED_INPUT', originalTopic: p.topics.chunks });
    const failed = await waitFor(async () => {
      const s = json<{ phases: Record<string, number>; failures: Array<{ code: string }> }>((await p.cli(['status', 'job-cli-dlq', '--json'])).output);
      return s.phases.failed === 1 ? s : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'the job to show the failure' });
    expect(failed.failures[0]!.code).toBe('EMBEDDER_REJECTED_INPUT');

    p.double.reset(); // the fix
    const replayed = await p.cli(['dlq', 'replay', '--stage', 'embed', '--json']);
    expect(json<{ replayed: number }>(replayed.output).replayed).toBe(1);
    await waitFor(async () => {
      const s = json<{ phases: Record<string, number> }>((await p.cli(['status', 'job-cli-dlq', '--json'])).output);
      return s.phases.complete === 1;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'the replayed document to be stored' });
    const again = await p.cli(['dlq', 'replay', '--stage', 'embed', '--json']);
    expect(json<{ replayed: number }>(again.output).replayed).toBe(0); // each dead letter is replayed once
  });
});
