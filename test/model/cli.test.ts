/**
 * The command line with the real model (Ollama serving all-MiniLM-L6-v2), as a user meets it:
 * the vector dimension comes from the model when EMBED_DIM is unset, a wrong EMBED_DIM stops
 * the run before the data directory is touched (so a correct run then works in it),
 * configuration errors exit 2, and search says which embedder made the stored vectors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteClient } from '../../src/storage/pglite-client.ts';
import { runCli } from '../helpers/processes.ts';
import { ollamaHost } from '../helpers/services.ts';

const FINANCE = fileURLToPath(new URL('../../samples/finance/', import.meta.url));

describe('era-ingest with the real model', () => {
  let dataDir: string;
  let env: Record<string, string>;

  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, 300_000);

  async function storedDimensions(): Promise<number[]> {
    const db = await createPgliteClient({ dataDir });
    try {
      const { rows } = await db.query<{ d: number }>('SELECT DISTINCT vector_dims(embedding) AS d FROM chunks');
      return rows.map((r) => Number(r.d));
    } finally {
      await db.close();
    }
  }

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'era-model-cli-'));
    // EMBED_DIM left empty: unset.
    env = { DATABASE_URL: '', EMBEDDER: 'ollama', OLLAMA_HOST: ollamaHost(), EMBED_MODEL: 'all-minilm', EMBED_DIM: '', LOG_LEVEL: 'warn' };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops a run with a wrong EMBED_DIM before touching the data directory (exit 2), then takes the dimension from the model', async () => {
    const wrong = await cli(['run', FINANCE, '--data-dir', dataDir], { EMBED_DIM: '768' });
    expect(wrong.code, wrong.output).toBe(2);
    expect(wrong.output).toMatch(/EMBED_DIM=768/);
    expect(wrong.output).toMatch(/384/);

    const right = await cli(['run', FINANCE, '--data-dir', dataDir, '--json']);
    expect(right.code, right.output).toBe(0);
    expect(right.output).toMatch(/"documents": 4/);
    expect(await storedDimensions()).toEqual([384]);
  });

  it('exits 2 on a configuration error the model server reports: an unknown model', async () => {
    const r = await cli(['run', FINANCE, '--data-dir', dataDir], { EMBED_MODEL: 'no-such-model' });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/EMBED_MODEL/);
    expect(r.output).toMatch(/no-such-model/);
  });

  it('finds the document by meaning, and says which embedder to use when searched with another', async () => {
    // By meaning alone: the question shares no content word with the answer (the default, hybrid,
    // also ranks chunks that share its words; README "Search" has both modes' figures).
    const hit = await cli(['search', 'how much money does the state owe to its lenders', '--mode', 'vector', '--data-dir', dataDir, '-k', '1', '--json']);
    expect(hit.code, hit.output).toBe(0);
    expect(hit.output).toMatch(/public-debt-management-report/);

    const lexical = await cli(['search', 'state debt', '--data-dir', dataDir], { EMBEDDER: 'hash', EMBED_MODEL: '' });
    expect(lexical.code, lexical.output).toBe(2);
    expect(lexical.output).toMatch(/EMBEDDER=ollama/);
    expect(lexical.output).toMatch(/EMBED_MODEL=all-minilm/);
  });

  it('takes a query that starts with a dash as the query', async () => {
    const r = await cli(['search', '-2% growth in tax receipts', '--data-dir', dataDir, '-k', '1']);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^1\. \[/m);
  });
});

describe('switching a hash-embedded store to the real model', () => {
  it('says which stored vectors are of the old model, and reembed makes them searchable by meaning', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'era-model-switch-'));
    const env = { DATABASE_URL: '', OLLAMA_HOST: ollamaHost(), EMBED_MODEL: 'all-minilm', EMBED_DIM: '', LOG_LEVEL: 'warn' };
    const cli = (args: string[], extra: Record<string, string>) => runCli(args, { ...env, ...extra }, 300_000);
    try {
      const lexical = await cli(['run', FINANCE, '--data-dir', dataDir], { EMBEDDER: 'hash', EMBED_MODEL: '' });
      expect(lexical.code, lexical.output).toBe(0);
      const tip = await cli(['search', 'budget', '--data-dir', dataDir, '-k', '1'], { EMBEDDER: 'hash', EMBED_MODEL: '' });
      expect(tip.output.trim().split('\n').at(-1)).toMatch(/^These hits match words \(EMBEDDER=hash\)\. To search by meaning/);

      const semantic = await cli(['run', FINANCE, '--data-dir', dataDir], { EMBEDDER: 'ollama' });
      expect(semantic.code, semantic.output).toBe(0);
      expect(semantic.output).toMatch(/keep their hash-v1 vectors; .*era-ingest reembed --model all-minilm/);

      const reembed = await cli(['reembed', '--model', 'all-minilm', '--data-dir', dataDir], { EMBEDDER: 'ollama' });
      expect(reembed.code, reembed.output).toBe(0);
      const hit = await cli(['search', 'how much money does the state owe to its lenders', '--mode', 'vector', '--data-dir', dataDir, '-k', '1', '--json'], { EMBEDDER: 'ollama' });
      expect(hit.code, hit.output).toBe(0);
      expect(hit.output).toMatch(/public-debt-management-report/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 600_000); // four commands that embed on a shared 2-core machine
});
