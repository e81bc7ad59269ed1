/**
 * The four stage services with the real model (Ollama serving all-MiniLM-L6-v2), real Kafka
 * and PostgreSQL: the bundled samples published as a user would, every document stored with
 * 384-dimensional all-minilm vectors (the dimension taken from the model: EMBED_DIM unset), and
 * questions in other words than the documents' found by meaning through `era-ingest search`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocuments } from '../../src/documents/files.ts';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { ollamaHost } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

describe('the Kafka pipeline with the real model', () => {
  let p: TestPipeline;
  let ids: string[];

  beforeAll(async () => {
    // The Ollama-API double the helper starts stays idle: every stage talks to the real Ollama.
    p = await startPipeline({ chunkTokens: 256, chunkOverlap: 32, extraEnv: { OLLAMA_HOST: ollamaHost(), EMBED_DIM: '' } });
    ids = [];
    for await (const item of readDocuments([SAMPLES])) if (item.kind === 'document') ids.push(item.doc.id);
  }, 240_000);

  afterAll(async () => {
    const codes = await p?.stop();
    expect(Object.values(codes ?? {}).every((c) => c === 0)).toBe(true);
  }, 120_000);

  it('stores every sample document with the model\'s vectors, and finds documents by meaning', async () => {
    const published = await p.cli(['publish', SAMPLES, '--job', 'job-model-samples'], {}, 120_000);
    expect(published.code, published.output).toBe(0);
    await waitFor(() => ids.every((id) => p.stored.some((e) => e.id === id)), { timeoutMs: 600_000, intervalMs: 500, what: `all ${ids.length} sample documents stored` })
      .catch((error: Error) => {
        // What the stages said is what explains a stall (retries, timeouts, a halted stage).
        const tails = [...p.stages].map(([name, s]) => `--- ${name} stage, last output:\n${s.output().slice(-2000)}`).join('\n');
        throw new Error(`${error.message}; ${new Set(p.stored.map((e) => e.id)).size} stored\n${tails}`);
      });

    const { rows } = await p.sql.query<{ model: string; dims: number; n: number }>(
      'SELECT model, vector_dims(embedding) AS dims, count(*)::int AS n FROM chunks GROUP BY 1, 2');
    expect(rows.map((r) => [r.model, Number(r.dims)])).toEqual([['all-minilm', 384]]);
    const { rows: [docs] } = await p.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM documents');
    expect(docs!.n).toBe(ids.length);

    // Questions that share no distinctive word with their document.
    const asks: Array<[string, RegExp]> = [
      ['how long do people have to wait before a hospital operation', /hospital-waiting-lists/],
      ['stopping human waste from flowing into our streams', /river-sewage-pollution/],
      ['what is being done about the courts being unable to hear cases quickly', /crown-court-backlog/],
    ];
    for (const [question, answer] of asks) {
      const r = await p.cli(['search', question, '--mode', 'vector', '-k', '3', '--json'], { OLLAMA_HOST: ollamaHost(), EMBED_DIM: '' });
      expect(r.code, r.output).toBe(0);
      const hits = JSON.parse(r.output.slice(r.output.indexOf('['))) as Array<{ docId: string }>;
      expect(hits.some((h) => answer.test(h.docId)), `${question} → ${hits.map((h) => h.docId).join(', ')}`).toBe(true);
    }
  }, 900_000);
});
