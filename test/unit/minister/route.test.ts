import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../../src/errors/pipeline-error.ts';
import { parseMinisters } from '../../../src/stages/minister/ministers-file.ts';
import { buildProfiles, type MinisterProfiles } from '../../../src/stages/minister/profiles.ts';
import { routeChunk, routeValue } from '../../../src/stages/minister/route.ts';
import type { DeleteRecord, EmbeddedChunk } from '../../../src/topics/messages.ts';
import { bagOfWordsEmbedder } from './bag-of-words-embedder.ts';
import { embeddedChunk, TEST_MINISTERS_YAML, VOCABULARY } from './fixtures.ts';

const embedder = bagOfWordsEmbedder(VOCABULARY);
let profiles: MinisterProfiles;

/** Embeds `text` with the test embedder and builds a chunk around it. */
async function chunk(text: string, fields: Partial<EmbeddedChunk> = {}): Promise<EmbeddedChunk> {
  const [embedding] = await embedder.embed([text]);
  return embeddedChunk(text, embedding!, fields);
}

beforeAll(async () => {
  profiles = await buildProfiles(parseMinisters(TEST_MINISTERS_YAML, 'test.yaml'), embedder);
});

describe('minister routing: explicit', () => {
  it('uses the document\'s minister when it is configured, whatever the text says', async () => {
    const routed = routeChunk(await chunk('budget deficit taxation', { minister: 'health' }), profiles);
    expect(routed.ministerId).toBe('health');
    expect(routed.routing).toEqual({ method: 'explicit' });
  });

  it('matches configured ids and names case-insensitively', async () => {
    expect(routeChunk(await chunk('army', { minister: 'FINANCE' }), profiles).ministerId).toBe('finance');
    expect(routeChunk(await chunk('army', { minister: ' Health ' }), profiles).ministerId).toBe('health');
  });

  it('keeps an unconfigured but valid id, lowercased', async () => {
    const routed = routeChunk(await chunk('budget deficit', { minister: 'Agriculture' }), profiles);
    expect(routed.ministerId).toBe('agriculture');
    expect(routed.routing.method).toBe('explicit');
    expect(routed.category).toBeUndefined();
  });

  it('ignores a value that is not a valid id and routes by similarity', async () => {
    const routed = routeChunk(await chunk('budget deficit taxation', { minister: 'Ministry of Money' }), profiles);
    expect(routed).toMatchObject({ ministerId: 'finance', routing: { method: 'nearest' } });
  });

  it('routes explicitly to general', async () => {
    expect(routeChunk(await chunk('budget', { minister: 'general' }), profiles)).toMatchObject({ ministerId: 'general', routing: { method: 'explicit' } });
  });
});

describe('minister routing: nearest profile', () => {
  it.each([
    ['the budget deficit and taxation', 'finance'],
    ['hospital beds for patients and nurses', 'health'],
    ['the army and navy deployed troops', 'defence'],
  ])('routes %j to %s', async (text, expected) => {
    const routed = routeChunk(await chunk(text), profiles);
    expect(routed.ministerId).toBe(expected);
    expect(routed.routing.method).toBe('nearest');
    expect(routed.routing.score).toBeGreaterThanOrEqual(0.2);
    expect(routed.routing.score).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('falls back to general below the threshold, reporting the best score', async () => {
    const weak = await chunk('weather football weather football weather football budget');
    const low = routeChunk(weak, profiles);
    expect(low.ministerId).toBe('general');
    expect(low.routing.method).toBe('default');
    expect(low.routing.score).toBeGreaterThan(0);
    expect(low.routing.score).toBeLessThan(0.2);
    expect(routeChunk(weak, profiles, { threshold: 0.05 })).toMatchObject({ ministerId: 'finance', routing: { method: 'nearest' } });
  });

  it('sends a chunk that shares no words with any profile to general', async () => {
    expect(routeChunk(await chunk('weather football'), profiles)).toMatchObject({ ministerId: 'general', routing: { method: 'default', score: 0 } });
  });

  it('never picks the fallback minister as the nearest one', async () => {
    const routed = routeChunk(await chunk('general general general'), profiles, { threshold: 0.01 });
    expect(routed.routing.method).not.toBe('nearest');
    expect(routed.ministerId).toBe('general');
  });

  it('scores a minister by the nearest of its own and its categories\' profiles', async () => {
    // "vat income" shares no word with finance's own profile, only with its taxation category.
    const text = 'vat income vat income';
    const [embedding] = await embedder.embed([text]);
    const [own] = await embedder.embed(['Finance. Public money and the economy. budget, deficit, taxation, treasury']);
    expect(embedding!.reduce((s, x, i) => s + x * own![i]!, 0)).toBe(0);
    const routed = routeChunk(await chunk(text), profiles);
    expect(routed).toMatchObject({ ministerId: 'finance', category: 'taxation', routing: { method: 'nearest' } });
    // cos("vat income vat income", "Taxation taxation vat income") = 4 / (√8 · √6)
    expect(routed.routing.score).toBeCloseTo(4 / (Math.sqrt(8) * Math.sqrt(6)), 5);
  });

  it('honours another fallback id', async () => {
    expect(routeChunk(await chunk('weather'), profiles, { fallbackId: 'health' }).ministerId).toBe('health');
  });
});

describe('minister routing: category', () => {
  it('assigns the minister\'s nearest category', async () => {
    expect(routeChunk(await chunk('taxation vat income treasury'), profiles).category).toBe('taxation');
    expect(routeChunk(await chunk('budget spending deficit'), profiles).category).toBe('budget');
    expect(routeChunk(await chunk('vaccine outbreak patients'), profiles).category).toBe('public-health');
  });

  it('keeps the document\'s category, mapped onto a configured id when it matches one', async () => {
    expect(routeChunk(await chunk('budget spending', { category: 'Taxation' }), profiles).category).toBe('taxation');
    expect(routeChunk(await chunk('budget spending', { category: 'pensions' }), profiles).category).toBe('pensions');
  });

  it('leaves the category undefined when the minister has none', async () => {
    expect(routeChunk(await chunk('army navy missile'), profiles).category).toBeUndefined();
    expect(routeChunk(await chunk('weather'), profiles).category).toBeUndefined();
  });

  it('picks a category for an explicit minister from the text', async () => {
    expect(routeChunk(await chunk('vat income', { minister: 'finance' }), profiles).category).toBe('taxation');
  });
});

describe('minister routing: contract', () => {
  it('is pure: the same input gives the same output and the input is untouched', async () => {
    const input = await chunk('hospital patients vaccine', { metadata: { a: 1 } });
    const before = structuredClone(input);
    const a = routeChunk(input, profiles);
    const b = routeChunk(input, profiles);
    expect(a).toEqual(b);
    expect(input).toEqual(before);
    expect(a).toMatchObject({ ...before, ministerId: 'health' });
  });

  it('passes deletions through unchanged and routes chunks', async () => {
    const del: DeleteRecord = { kind: 'delete', docId: 'doc-1', version: 2, jobId: 'job-1' };
    expect(routeValue(del, profiles)).toBe(del);
    expect(routeValue(await chunk('army navy'), profiles)).toMatchObject({ ministerId: 'defence' });
  });

  it('refuses chunks embedded with another model or dimension (a configuration error)', async () => {
    const other = await chunk('budget', { model: 'other-model' });
    expect(() => routeChunk(other, profiles)).toThrow(ConfigError);
    expect(() => routeChunk(other, profiles)).toThrow(/EMBED_MODEL/);
    const short = embeddedChunk('budget', new Float32Array(3));
    expect(() => routeChunk(short, profiles)).toThrow(/3 dimensions/);
  });

  it('rejects an embedding holding NaN as an invalid message', async () => {
    const bad = await chunk('budget');
    bad.embedding[0] = Number.NaN;
    const error = (() => {
      try {
        routeChunk(bad, profiles);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_MESSAGE', retriable: false });
  });
});
