/**
 * `era-ingest reembed --model <m>` against the running pipeline (four stage processes, real
 * Kafka, real PostgreSQL + pgvector). The pipeline embeds with `all-minilm` (64 dimensions)
 * through one Ollama-API test double; the new model `wide-model` (96 dimensions) is served by a
 * second test double (no model weights can be downloaded here: the doubles embed by feature
 * hashing, so the expected vectors are computable).
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { modelIndexName, modelSearchSql } from '../../../src/storage/model-vectors.ts';
import { createPgClient, type PgClient } from '../../../src/storage/pg-client.ts';
import { search } from '../../../src/storage/search.ts';
import { fromVectorText, toVectorText } from '../../../src/storage/vector-text.ts';
import { DLQ_HEADERS } from '../../../src/topics/headers.ts';
import { rawRecord } from '../../../src/topics/raw-record.ts';
import { corpus, corpusDocument } from '../../helpers/corpus.ts';
import { startOllamaDouble, type OllamaDouble } from '../../helpers/ollama-double.ts';
import { startPipeline, type TestPipeline } from '../../helpers/pipeline.ts';
import { startProcess } from '../../helpers/processes.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** A port nothing listens on (bound and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const OLD_DIM = 64;
const NEW_DIM = 96;
const DOCS = 60;
/** The pretty-printed JSON a `--json` command wrote (log lines, one-line JSON, are skipped). */
const json = <T>(output: string): T => JSON.parse(output.slice(output.search(/^(\{$|\[$|\[\])/m))) as T;

interface Summary {
  model: string; dimension: number; state: string; passes: number; chunks: number; published: number;
  embedded: number; copied: number; failed: string[]; index: string | null; consumerGroup: string; topic: string;
}

describe('era-ingest reembed: a second vector set built through Kafka while search keeps answering', () => {
  let p: TestPipeline;
  let wide: OllamaDouble;
  let db: PgClient;
  const oldEmbedder = createHashEmbedder({ dimension: OLD_DIM });
  const newEmbedder = createHashEmbedder({ dimension: NEW_DIM });
  const reembed = (args: string[], timeoutMs = 180_000) => p.cli(['reembed', ...args], { OLLAMA_HOST: wide.url }, timeoutMs);
  /** Current chunks, and those without a vector of `model`. */
  const coverage = async (model: string) => (await p.sql.query<{ current: number; missing: number; vectors: number }>(
    `SELECT count(*)::int AS current,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.chunk_id = c.chunk_id AND v.model = $1))::int AS missing,
            (SELECT count(*)::int FROM chunk_vectors WHERE model = $1) AS vectors
     FROM chunks c JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash`, [model])).rows[0]!;

  beforeAll(async () => {
    p = await startPipeline({ dimension: OLD_DIM });
    wide = await startOllamaDouble({ dimension: NEW_DIM });
    db = createPgClient(p.dbUrl, { max: 2 });
    await p.kit.produce(p.topics.raw, corpus(DOCS, 0, 'job-reembed').map((d) => rawRecord(d, { nowMs: Date.now() })));
    await waitFor(() => new Set(p.stored.map((e) => e.id)).size >= DOCS, { timeoutMs: 120_000, intervalMs: 200, what: `${DOCS} documents stored` });
  }, 240_000);

  afterAll(async () => {
    await db?.close();
    await wide?.close();
    const codes = await p.stop();
    expect(codes).toEqual({ store: 0, minister: 0, embed: 0, chunk: 0 });
  }, 120_000);

  it('answers bad invocations with usage errors (exit 2) that say what to do', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['reembed'], {}, /--model is required/],
      [['reembed', '--model', ' '], {}, /--model is required/],
      [['reembed', '--model', 'a\u0001b'], {}, /no control characters/],
      [['reembed', '--model', 'x'.repeat(201)], {}, /at most 200 characters/],
      [['reembed', '--model', 'm', '--dim', '0'], {}, /--dim 0 is invalid/],
      [['reembed', '--model', 'm', '--interval', 'soon'], {}, /--interval soon is invalid/],
      [['reembed', '--model', 'm', '--follow'], { DATABASE_URL: '' }, /--follow keeps a pipeline's vector set complete: give its PostgreSQL/],
    ];
    for (const [args, env, message] of cases) {
      const r = await p.cli(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.output).toMatch(message);
    }
    expect((await p.cli(['reembed', '--help'])).code).toBe(0);
    // A model whose vectors have another length than --dim is refused before anything is
    // registered (a configuration error). Without --dim the model is asked for its length.
    const wrongDim = await p.cli(['reembed', '--model', 'wrong-dim', '--dim', '64'], { OLLAMA_HOST: wide.url });
    expect(wrongDim.code).toBe(2);
    expect(wrongDim.output).toMatch(/wrong-dim returns 96-dimensional vectors, not 64: give --dim 96/);
    expect((await p.sql.query(`SELECT 1 FROM embedding_models WHERE model = 'wrong-dim'`)).rowCount).toBe(0);
  }, 120_000);

  it('re-embeds every current chunk exactly once, commits the group to the end, and never interrupts search', async () => {
    const { current } = await coverage('wide-model');
    expect(current).toBeGreaterThan(DOCS);
    const query = corpusDocument(3).text.split(/(?<=\.)\s/)[0]!;
    const [queryVector] = await oldEmbedder.embed([query]);
    const before = (await search(db, queryVector!, { k: 5, model: 'all-minilm' })).map((h) => h.chunkId);
    expect(before).toHaveLength(5);

    // Searches with the pipeline's model run all along the re-embedding.
    const inputsBefore = wide.inputs;
    wide.setLatency(40);
    const answers: string[][] = [];
    const errors: unknown[] = [];
    let searching = true;
    const searcher = (async () => {
      while (searching) {
        try {
          answers.push((await search(db, queryVector!, { k: 5, model: 'all-minilm' })).map((h) => h.chunkId));
        } catch (error) {
          errors.push(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const run = await reembed(['--model', 'wide-model', '--dim', String(NEW_DIM), '--json']);
    searching = false;
    await searcher;
    wide.setLatency(0);

    expect(run.code, run.output).toBe(0);
    const summary = json<Summary>(run.output);
    expect(summary).toMatchObject({ model: 'wide-model', dimension: NEW_DIM, state: 'ready', chunks: current, published: current, embedded: current, copied: 0, failed: [], index: modelIndexName('wide-model') });
    // Every chunk was sent to the new model once (plus the one probe at start).
    expect(wide.inputs - inputsBefore).toBe(current + 1);
    expect(errors).toEqual([]);
    expect(answers.length).toBeGreaterThan(5);
    for (const a of answers) expect(a).toEqual(before);

    // The set is complete and holds the new model's vectors of each chunk's text.
    expect(await coverage('wide-model')).toEqual({ current, missing: 0, vectors: current });
    const { rows: sample } = await p.sql.query<{ text: string; embedding: string }>(
      `SELECT c.text, v.embedding::text AS embedding FROM chunk_vectors v JOIN chunks c USING (chunk_id) WHERE v.model = 'wide-model' ORDER BY c.chunk_id LIMIT 5`);
    for (const row of sample) {
      const [expected] = await newEmbedder.embed([row.text]);
      expect(Array.from(fromVectorText(row.embedding))).toEqual(Array.from(fromVectorText(toVectorText(expected!))));
    }
    // Its group committed every record of era.reembed.
    const admin = await p.kit.adminClient();
    const ends = await admin.fetchTopicOffsets(summary.topic);
    const [committed] = await admin.fetchOffsets({ groupId: summary.consumerGroup, topics: [summary.topic] });
    expect(ends.reduce((n, e) => n + Number(e.high), 0)).toBe(current);
    for (const e of ends) expect(committed!.partitions.find((c) => c.partition === e.partition)?.offset).toBe(e.high);

    // Search with the new model: answered from the new set, through its HNSW index.
    const found = await p.cli(['search', query, '--model', 'wide-model', '-k', '3', '--json'], { OLLAMA_HOST: wide.url });
    expect(found.code, found.output).toBe(0);
    const hits = json<Array<{ docId: string; text: string; score: number }>>(found.output);
    expect(hits[0]!.docId).toBe(corpusDocument(3).id);
    expect(hits[0]!.text).toContain(query);
    const [newQuery] = await newEmbedder.embed([query]);
    // The index matches the query's expression and predicate (a planner may still prefer a
    // sort on a table this small, hence the scans it is told to avoid).
    const conn = await p.sql.connect();
    try {
      await conn.query('BEGIN');
      // PostgreSQL 18 counts disabled plan nodes instead of pricing them out: without the sort
      // disabled too, an index scan in key order plus a sort wins on a table this small.
      for (const node of ['seqscan', 'bitmapscan', 'sort']) await conn.query(`SET LOCAL enable_${node} = off`);
      const plan = await conn.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${modelSearchSql({ model: 'wide-model', dimension: NEW_DIM }, false)}`, [toVectorText(newQuery!), 3, null, null, 40, null, null]);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(`Index Scan using ${modelIndexName('wide-model')}`);
    } finally {
      await conn.query('ROLLBACK');
      conn.release();
    }

    const listed = await p.cli(['reembed', '--list', '--json']);
    expect(json<Array<{ model: string; state: string; vectors: number; missing: number }>>(listed.output)).toEqual([
      expect.objectContaining({ model: 'wide-model', state: 'ready', vectors: current, missing: 0 }),
    ]);
    // The pipeline's own model still answers, and a model without vectors is a clear error.
    const old = await p.cli(['search', query, '-k', '1', '--json']);
    expect(json<Array<{ docId: string }>>(old.output)[0]!.docId).toBe(corpusDocument(3).id);
    const unknown = await p.cli(['search', query, '--model', 'never-embedded', '--json']);
    expect(unknown.code, unknown.output).toBe(2);
    expect(unknown.output).toMatch(/no stored chunk has a vector of model never-embedded.*embedded with all-minilm.*reembed --model never-embedded/s);
  }, 240_000);

  it('with --follow keeps the set complete as documents are added and replaced, and refuses a second run', async () => {
    const port = await freePort();
    const follower = startProcess('src/cli/main.ts', ['reembed', '--model', 'wide-model', '--follow', '--interval', '1', '--metrics-port', String(port)], { ...p.env, OLLAMA_HOST: wide.url, LOG_LEVEL: 'warn' });
    try {
      const admin = await p.kit.adminClient();
      const groupId = `${p.env.GROUP_PREFIX}.reembed.wide-model`;
      await waitFor(async () => ((await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0) > 0, { timeoutMs: 60_000, intervalMs: 250, what: 'the follower to join its group' });
      const second = await reembed(['--model', 'wide-model']);
      expect(second.code).toBe(1);
      expect(second.output).toMatch(/a reembed of wide-model is already running.*stop it first \(one process per model\)/);

      const added = corpus(8, 0, 'job-reembed-2').map((d, i) => ({ ...d, id: `added-${i}` }));
      const replaced = corpusDocument(5, 1, 'job-reembed-2'); // a new version of a stored document
      await p.kit.produce(p.topics.raw, [...added, replaced].map((d) => rawRecord(d, { nowMs: Date.now() })));
      await waitFor(async () => {
        const c = await coverage('wide-model');
        const stored = new Set(p.stored.filter((e) => e.jobId === 'job-reembed-2').map((e) => e.id));
        return stored.size === 9 && c.missing === 0 && c.vectors === c.current ? c : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500, what: 'the new chunks to get wide-model vectors' });
      // No vector outlives its chunk: the old version's went with it.
      const { rows: [orphans] } = await p.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM chunk_vectors v JOIN chunks c USING (chunk_id) LEFT JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash WHERE d.doc_id IS NULL`);
      expect(orphans!.n).toBe(0);
      const { rows: [doc5] } = await p.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM chunk_vectors v JOIN chunks c USING (chunk_id) WHERE c.doc_id = $1 AND v.model = 'wide-model'`, [replaced.id]);
      const { rows: [chunks5] } = await p.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE doc_id = $1', [replaced.id]);
      expect(doc5!.n).toBe(chunks5!.n);
      // A follower is a service: probes and the consumer's metrics, labelled stage="reembed".
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(exposition).toMatch(/^era_messages_in_total\{stage="reembed",topic="[^"]+\.reembed"\} [1-9]/m);
      expect(exposition).toMatch(/^era_embed_request_seconds_count\{stage="reembed",outcome="ok"\} [1-9]/m);
    } finally {
      follower.kill('SIGTERM');
    }
    expect(await follower.exited).toBe(0);
  }, 240_000);

  it('dead-letters a chunk the new model rejects, leaves the set building, and resumes after a kill', async () => {
    wide.rejectInputsContaining('UNEMBEDDABLE-MARK');
    const poison = { id: 'poison-doc', text: 'A paragraph about rivers. UNEMBEDDABLE-MARK stays in this chunk.', jobId: 'job-reembed-3' };
    await p.kit.produce(p.topics.raw, [rawRecord(poison, { nowMs: Date.now() })]);
    await waitFor(() => p.stored.some((e) => e.id === 'poison-doc'), { timeoutMs: 60_000, what: 'poison-doc stored by the pipeline' });
    const { current } = await coverage('narrow-model');

    // Killed part-way, then run again: every chunk ends up with exactly one vector.
    const inputsBefore = wide.inputs;
    wide.setLatency(60);
    const first = startProcess('src/cli/main.ts', ['reembed', '--model', 'narrow-model', '--dim', String(NEW_DIM)], { ...p.env, OLLAMA_HOST: wide.url, LOG_LEVEL: 'warn', EMBED_CONCURRENCY: '1' });
    await waitFor(async () => (await coverage('narrow-model')).vectors >= current / 4, { timeoutMs: 120_000, intervalMs: 100, what: 'a quarter of the chunks re-embedded' });
    first.kill('SIGKILL');
    await first.exited;
    wide.setLatency(0);
    const partial = (await coverage('narrow-model')).vectors;
    expect(partial).toBeLessThan(current);
    // What the killed run had written but not committed: records at or after its group's
    // committed offsets whose chunk already has a vector. A rerun redoes these, and no others.
    const committed = await p.kit.committed(`${p.env.GROUP_PREFIX}.reembed.narrow-model`, p.topics.reembed);
    const records = await p.kit.readAll(p.topics.reembed, await p.kit.count(p.topics.reembed));
    const uncommitted = records.filter((r) => r.headers['era.reembed.model'] === 'narrow-model' && BigInt(r.offset) >= (committed.get(r.partition) ?? 0n))
      .map((r) => (JSON.parse(r.value!.toString()) as { chunkId: string }).chunkId);
    const { rows: written } = await p.sql.query<{ chunk_id: string }>(`SELECT chunk_id FROM chunk_vectors WHERE model = 'narrow-model'`);
    const writtenIds = new Set(written.map((r) => r.chunk_id));
    const writtenNotCommitted = uncommitted.filter((id) => writtenIds.has(id)).length;

    // The killed member stays in the group until its session times out (30 s): until then a new
    // run is refused as "already running".
    const run = await waitFor(async () => {
      const r = await reembed(['--model', 'narrow-model', '--json']);
      return /already running/.test(r.output) ? undefined : r;
    }, { timeoutMs: 90_000, intervalMs: 1_000, what: 'the rerun to be accepted' });
    expect(run.code, run.output).toBe(1);
    const summary = json<Summary>(run.output);
    expect(summary.state).toBe('building');
    // Work redone after the kill is bounded by what was written but not committed: beside every
    // embeddable chunk once, one probe per run that went ahead (the killed one and the rerun; a
    // refused attempt never asks the model), those, and the one batch (64 chunks,
    // EMBED_CONCURRENCY 1) the killed run may have had answered but not yet written.
    const embeddedInputs = wide.inputs - inputsBefore;
    console.info(`reembed resume: ${current} chunks, ${partial} done before the kill (${writtenNotCommitted} of them not committed), ${embeddedInputs} inputs embedded in all`);
    expect(embeddedInputs).toBeGreaterThanOrEqual(current - 1);
    expect(embeddedInputs).toBeLessThanOrEqual(current - 1 + 2 + writtenNotCommitted + 64);
    expect(summary.failed).toHaveLength(1);
    expect(await coverage('narrow-model')).toEqual({ current, missing: 1, vectors: current - 1 });
    const { rows: [bad] } = await p.sql.query<{ text: string }>('SELECT text FROM chunks WHERE chunk_id = $1', [summary.failed[0]]);
    expect(bad!.text).toContain('UNEMBEDDABLE-MARK');

    const letters = await p.cli(['dlq', 'list', '--stage', 'reembed', '--json']);
    // One dead letter per run that reached the chunk (a new run tries rejected chunks again, in
    // case the model was fixed): the killed run may have dead-lettered it already.
    const dead = json<Array<{ key: string; headers: Record<string, string> }>>(letters.output);
    expect(dead.length).toBeGreaterThanOrEqual(1);
    expect(dead.length).toBeLessThanOrEqual(2);
    for (const letter of dead) {
      expect(letter.key).toBe('poison-doc');
      expect(letter.headers).toMatchObject({ [DLQ_HEADERS.stage]: 'reembed', [DLQ_HEADERS.originalTopic]: p.topics.reembed, [DLQ_HEADERS.errorCode]: 'EMBEDDER_REJECTED_INPUT' });
    }
    const listed = json<Array<{ model: string; state: string; missing: number }>>((await p.cli(['reembed', '--list', '--json'])).output);
    expect(listed.find((m) => m.model === 'narrow-model')).toMatchObject({ state: 'building', missing: 1 });

    const dropped = await p.cli(['reembed', '--model', 'narrow-model', '--drop']);
    expect(dropped.code, dropped.output).toBe(0);
    expect((await coverage('narrow-model')).vectors).toBe(0);
  }, 300_000);
});
