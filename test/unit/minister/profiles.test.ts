import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../../src/errors/pipeline-error.ts';
import type { Embedder } from '../../../src/embedding/types.ts';
import { parseMinisters } from '../../../src/stages/minister/ministers-file.ts';
import { buildProfiles, categoryProfileText, ministerProfileText } from '../../../src/stages/minister/profiles.ts';
import { norm } from '../../../src/stages/minister/vectors.ts';
import { bagOfWordsEmbedder } from './bag-of-words-embedder.ts';
import { TEST_MINISTERS_YAML, VOCABULARY } from './fixtures.ts';

const ministers = parseMinisters(TEST_MINISTERS_YAML, 'test.yaml');

describe('minister profiles', () => {
  it('embeds "name. description. keywords" per minister and "name keywords" per category', () => {
    expect(ministerProfileText(ministers[0]!)).toBe('Finance. Public money and the economy. budget, deficit, taxation, treasury');
    expect(categoryProfileText(ministers[0]!.categories[0]!)).toBe('Budget budget deficit spending');
  });

  it('drops function words from the profile texts of a lexical embedder only', () => {
    expect(ministerProfileText(ministers[0]!, 'lexical')).toBe('finance public money economy budget deficit taxation treasury');
    expect(categoryProfileText(ministers[1]!.categories[1]!, 'lexical')).toBe('public health vaccine outbreak');
    expect(ministerProfileText(ministers[0]!, 'semantic')).toContain('and the economy');
  });

  it('embeds every text once, in batches, into unit vectors in file order', async () => {
    const embedder = bagOfWordsEmbedder(VOCABULARY);
    const profiles = await buildProfiles(ministers, embedder, { batchSize: 3 });
    expect(embedder.calls.map((c) => c.length)).toEqual([3, 3, 2]);
    expect(embedder.calls.flat()).toHaveLength(new Set(embedder.calls.flat()).size);
    expect(profiles.ministers.map((m) => m.id)).toEqual(['finance', 'health', 'defence', 'general']);
    expect(profiles.byId.get('health')?.categories.map((c) => c.id)).toEqual(['hospitals', 'public-health']);
    expect(profiles).toMatchObject({ model: 'bow-test', dimension: VOCABULARY.length });
    for (const m of profiles.ministers) {
      expect(norm(m.vector)).toBeCloseTo(1, 5);
      for (const c of m.categories) expect(norm(c.vector)).toBeCloseTo(1, 5);
    }
  });

  it('fails clearly when the embedder returns the wrong number or size of vectors', async () => {
    const base = bagOfWordsEmbedder(VOCABULARY);
    const dropsOne: Embedder = { ...base, embed: async (texts) => (await base.embed(texts)).slice(1) };
    await expect(buildProfiles(ministers, dropsOne)).rejects.toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE' });
    const wrongSize: Embedder = { ...base, dimension: 5 };
    await expect(buildProfiles(ministers, wrongSize)).rejects.toThrow(PipelineError);
    await expect(buildProfiles(ministers, wrongSize)).rejects.toThrow(/expected 5 \(EMBED_DIM\)/);
  });

  it('lets embedder failures through (a retriable outage stays retriable)', async () => {
    const down: Embedder = { model: 'm', dimension: 2, kind: 'semantic', embed: async () => Promise.reject(new PipelineError('DEPENDENCY_UNAVAILABLE', 'down', { retriable: true })) };
    await expect(buildProfiles(ministers, down)).rejects.toMatchObject({ retriable: true });
  });
});
