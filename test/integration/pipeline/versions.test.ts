/**
 * Version order (README "Guarantees"), through the four stage processes on the real broker and
 * PostgreSQL: a document's versions follow the offsets of its records in era.raw, never the
 * publishers' clocks; a re-publish of unchanged content advances the version; a late or
 * replayed older version never becomes current; the priority lane takes its place by its
 * append to era.raw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../../src/stages/chunk/transform.ts';
import type { RawDocument } from '../../../src/topics/messages.ts';
import { startPipeline, type TestPipeline } from '../../helpers/pipeline.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const text = (topic: string, marker = ''): string =>
  `# ${topic}\n\n${`The ${topic} report covers funding, staff and the plan for the next year in some detail. `.repeat(12)}\n\n${marker}\n\n${'A closing paragraph repeats the main figures for the record. '.repeat(6)}`;

describe('version order through the stage processes', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline();
  }, 240_000);
  afterAll(async () => {
    await p.stop();
  }, 120_000);

  const publish = async (doc: RawDocument, headers: Record<string, string> = {}, topic = p.topics.raw) => {
    await p.kit.produce(topic, [{ key: doc.id, value: JSON.stringify(doc), headers: { 'era.published.at': String(Date.now()), ...headers } }]);
  };
  const current = async (id: string) => {
    const { rows } = await p.sql.query<{ version: string; content_hash: string }>('SELECT version, content_hash FROM documents WHERE doc_id = $1', [id]);
    return rows[0] ? { version: Number(rows[0].version), hash: rows[0].content_hash } : undefined;
  };
  /** Hashes of the content versions that have chunk rows for `id` (current and pending). */
  const chunkHashes = async (id: string) => {
    const { rows } = await p.sql.query<{ content_hash: string }>('SELECT DISTINCT content_hash FROM chunks WHERE doc_id = $1 ORDER BY 1', [id]);
    return rows.map((r) => r.content_hash);
  };
  const becomes = (id: string, doc: RawDocument) => waitFor(async () => {
    const c = await current(id);
    return c?.hash === contentHash(doc) ? c : undefined;
  }, { timeoutMs: 60_000, what: `${id} to become ${doc.text.slice(2, 20)}…` });
  const storedVersions = (id: string) => p.stored.filter((e) => e.id === id).map((e) => e.version);

  it('keeps a re-published version current over an older one completed later by `dlq replay`', async () => {
    const A: RawDocument = { id: 'doc-v', text: text('budget') };
    const B: RawDocument = { id: 'doc-v', text: text('harbour', 'REJECT-THIS-CHUNK') };
    await publish(A);
    const v1 = await becomes('doc-v', A);
    // v2 = B: the embedder refuses one of its chunks, so B is half stored.
    p.double.rejectInputsContaining('REJECT-THIS-CHUNK');
    await publish(B);
    await waitFor(async () => (await p.kit.count(p.topics.dlq)) >= 1, { timeoutMs: 60_000, what: 'B\'s rejected chunk in era.dlq' });
    await waitFor(async () => (await chunkHashes('doc-v')).includes(contentHash(B)), { timeoutMs: 60_000, what: 'B\'s other chunks stored as pending' });
    // v3 = A again, published after B: costs no embedding, advances the version.
    const calls = p.double.inputs;
    await publish(A);
    const v3 = await waitFor(async () => {
      const c = await current('doc-v');
      return c && c.version > v1.version ? c : undefined;
    }, { timeoutMs: 60_000, what: 'the re-publish of A to advance the version' });
    expect(v3.hash).toBe(contentHash(A));
    expect(p.double.inputs).toBe(calls);
    expect(await chunkHashes('doc-v')).toEqual([contentHash(A)]); // B's pending chunks are gone: they can never become current
    // The cause is fixed and the dead letter replayed: B's last chunk arrives, B must stay stale.
    p.double.reset();
    const replayed = await p.cli(['dlq', 'replay', '--stage', 'embed', '--json']);
    expect(replayed.code, replayed.output).toBe(0);
    await p.kit.waitForCommittedToEnd(`${p.env.GROUP_PREFIX}.embed`, p.topics.chunks);
    await p.kit.waitForCommittedToEnd(`${p.env.GROUP_PREFIX}.minister`, p.topics.embeddings);
    await p.kit.waitForCommittedToEnd(`${p.env.GROUP_PREFIX}.store`, p.topics.ministers);
    expect(await current('doc-v')).toEqual(v3);
    expect(await chunkHashes('doc-v')).toEqual([contentHash(A)]);
  });

  it('orders two publishes of the same millisecond by their offsets: the second is current, neither is dropped', async () => {
    const C: RawDocument = { id: 'doc-ms', text: text('forestry') };
    const D: RawDocument = { id: 'doc-ms', text: text('fisheries') };
    const at = String(Date.now());
    await p.kit.produce(p.topics.raw, [C, D].map((doc) => ({ key: doc.id, value: JSON.stringify(doc), headers: { 'era.published.at': at } })));
    await becomes('doc-ms', D);
    await waitFor(() => storedVersions('doc-ms').length >= 2 || undefined, { timeoutMs: 30_000, what: 'a stored event for each version' });
    const [first, second] = storedVersions('doc-ms');
    expect(second).toBe(first! + 1);
    expect((await current('doc-ms'))!.version).toBe(second);
  });

  it('ignores the publishers\' clocks: a publisher an hour ahead does not keep later versions out', async () => {
    const dlqBefore = await p.kit.count(p.topics.dlq);
    const E: RawDocument = { id: 'doc-clock', text: text('railways') };
    const F: RawDocument = { id: 'doc-clock', text: text('airports') };
    await publish(E, { 'era.published.at': String(Date.now() + 3_600_000) });
    await becomes('doc-clock', E);
    await publish(F, { 'era.published.at': String(Date.now() - 3_600_000) });
    await becomes('doc-clock', F);
    // A header that is not a number is a latency figure gone wrong, nothing more.
    const G: RawDocument = { id: 'doc-clock', text: text('ports') };
    await publish(G, { 'era.published.at': 'yesterday' });
    await becomes('doc-clock', G);
    expect(await p.kit.count(p.topics.dlq)).toBe(dlqBefore); // nothing dead-lettered for a clock
  });

  it('gives a priority-lane record its place by its append to era.raw, exactly once', async () => {
    const H: RawDocument = { id: 'doc-lane', text: text('energy') };
    const I: RawDocument = { id: 'doc-lane', text: text('water') };
    const J: RawDocument = { id: 'doc-lane', text: text('housing') };
    const rawBefore = await p.kit.count(p.topics.raw);
    await publish(H);
    await becomes('doc-lane', H);
    await publish(I, {}, p.topics.rawPriority);
    const afterI = await becomes('doc-lane', I);
    // I was appended to era.raw once, marked with where it came from.
    const raw = (await p.kit.readAll(p.topics.raw, rawBefore + 2)).filter((r) => r.key?.toString() === 'doc-lane');
    const appended = raw.filter((r) => r.headers['era.forwarded.from']?.startsWith(`${p.topics.rawPriority}/`));
    expect(appended).toHaveLength(1);
    expect(JSON.parse(appended[0]!.value!.toString())).toMatchObject({ text: I.text });
    expect(afterI.version).toBe(Number(appended[0]!.offset));
    // The next publish on era.raw comes after it in the order.
    await publish(J);
    const afterJ = await becomes('doc-lane', J);
    expect(afterJ.version).toBeGreaterThan(afterI.version);
    // When the chunk stage reaches the appended copy on era.raw, it is the same version: no change.
    await p.kit.waitForCommittedToEnd(`${p.env.GROUP_PREFIX}.chunk`, p.topics.raw);
    await p.kit.waitForCommittedToEnd(`${p.env.GROUP_PREFIX}.store`, p.topics.ministers);
    expect(await current('doc-lane')).toEqual(afterJ);
  });

  it('announces versions in era.stored in the order they were published, per document', () => {
    for (const id of ['doc-v', 'doc-ms', 'doc-clock', 'doc-lane']) {
      const versions = storedVersions(id);
      expect(versions.length, id).toBeGreaterThan(0);
      expect([...versions].sort((a, b) => a - b), id).toEqual(versions);
    }
  });
});
