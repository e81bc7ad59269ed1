/**
 * Fault: 3 to 5 versions of each of 200 documents are published while the embed and store
 * stages are SIGKILLed and restarted. Redelivery after each kill brings older versions again,
 * late; none may win. In the end every document's current content is its last published one,
 * and no other version's chunks are stored (so none can be found by a search).
 */
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/stages/chunk/transform.ts';
import type { RawDocument } from '../../src/topics/messages.ts';
import { rawRecord } from '../../src/topics/raw-record.ts';
import { corpusDocument } from '../helpers/corpus.ts';
import { CHUNKER, dlqCount, expectStagesRunning, halfStored, retrySummary, SOAK, sleep } from '../helpers/fault-checks.ts';
import { startPipeline } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DOCS = SOAK ? 500 : 200;
const KILLS = SOAK ? 4 : 2;
/** Versions of document i: 3, 4 or 5. */
const versionsOf = (i: number): number => 3 + (i % 3);

describe('fault: many versions per document while the embed and store stages are killed', () => {
  it(`leaves every one of ${DOCS} documents at its last published version, and nothing else stored`, async () => {
    const p = await startPipeline({ chunkTokens: CHUNKER.maxTokens, chunkOverlap: CHUNKER.overlapTokens });
    try {
      p.double.setLatency(20);
      const rounds = Math.max(...Array.from({ length: DOCS }, (_, i) => versionsOf(i)));
      const last = new Map<string, RawDocument>();
      const t0 = Date.now();
      // Round r publishes revision r of every document that has one; the rounds overlap the kills.
      const publishing = (async () => {
        for (let r = 0; r < rounds; r++) {
          const docs = Array.from({ length: DOCS }, (_, i) => i).filter((i) => r < versionsOf(i)).map((i) => corpusDocument(i, r));
          for (const d of docs) last.set(d.id, d);
          for (let k = 0; k < docs.length; k += 50) {
            await p.kit.produce(p.topics.raw, docs.slice(k, k + 50).map((d) => rawRecord(d, { nowMs: Date.now() })));
            await sleep(400);
          }
        }
      })();
      const killLog: string[] = [];
      const killers = ['embed', 'store'].map(async (name) => {
        for (let k = 0; k < KILLS; k++) {
          await sleep(1_500 + Math.random() * 3_000);
          const proc = p.stages.get(name)!;
          proc.kill('SIGKILL');
          expect(await proc.exited).toBe('SIGKILL');
          const at = Date.now() - t0;
          await p.startStage(name);
          killLog.push(`${name} killed at ${at} ms, back at ${Date.now() - t0} ms`);
        }
      });
      await Promise.all([publishing, ...killers]);
      const published = [...last.values()].reduce((n, d) => n + versionsOf(Number(d.id.slice(4))), 0);

      // Every document reaches its last version (the pipeline drains).
      const want = new Map([...last].map(([id, d]) => [id, contentHash(d)]));
      let behind: string[] = [];
      await waitFor(async () => {
        const { rows } = await p.sql.query<{ doc_id: string; content_hash: string }>('SELECT doc_id, content_hash FROM documents');
        const have = new Map(rows.map((r) => [r.doc_id, r.content_hash]));
        behind = [...want].filter(([id, hash]) => have.get(id) !== hash).map(([id]) => id);
        return behind.length === 0;
      }, { timeoutMs: 240_000, intervalMs: 500, what: `every document at its last version (behind: ${behind.length})` });
      // Late redeliveries of older versions would land here: wait for every group to reach the end.
      for (const [stage, topic] of [['chunk', p.topics.raw], ['embed', p.topics.chunks], ['minister', p.topics.embeddings], ['store', p.topics.ministers]] as const) {
        await p.kit.waitForCommittedToEnd(`${p.env.GROUP_PREFIX}.${stage}`, topic, 120_000);
      }
      console.log(`[faults/versions] ${DOCS} documents, ${published} versions published; kills: ${killLog.length}; all at their last version ${Date.now() - t0} ms after the start; retries: ${retrySummary(p)}\n  ${killLog.join('\n  ')}`);

      // Still at the last version, and the chunks stored are exactly the last versions' — read
      // per document and content, not through the documents join (which shows one version only).
      const { rows: docs } = await p.sql.query<{ doc_id: string; content_hash: string }>('SELECT doc_id, content_hash FROM documents');
      expect(docs.filter((d) => want.get(d.doc_id) !== d.content_hash)).toEqual([]);
      const { rows: stored } = await p.sql.query<{ doc_id: string; content_hash: string }>('SELECT DISTINCT doc_id, content_hash FROM chunks');
      const stray = stored.filter((c) => want.get(c.doc_id) !== c.content_hash);
      expect(stray, 'chunks of a version that is not the document\'s last').toEqual([]);
      expect(new Set(stored.map((c) => c.doc_id)).size).toBe(DOCS);
      expect(await halfStored(p)).toEqual([]);
      expect(await dlqCount(p)).toBe(0);
      expectStagesRunning(p);
    } finally {
      await p.stop();
    }
  });
});
