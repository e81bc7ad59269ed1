import { beforeAll, describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../../src/embedding/hash-embedder.ts';
import { loadMinistersFile, type Minister } from '../../../src/stages/minister/ministers-file.ts';
import { buildProfiles, type MinisterProfiles } from '../../../src/stages/minister/profiles.ts';
import { routeBatch } from '../../../src/stages/minister/route-batch.ts';
import type { RoutedChunk } from '../../../src/topics/messages.ts';
import { embeddedChunk } from './fixtures.ts';

const ministers: Minister[] = loadMinistersFile();

describe('bundled config/ministers.yaml', () => {
  it('ships the domain ministers and the general fallback', () => {
    expect(ministers.map((m) => m.id)).toEqual(['finance', 'defence', 'health', 'education', 'environment', 'justice', 'transport', 'foreign-affairs', 'general']);
  });

  it('gives every domain minister a 2–3 sentence description, 15–30 keywords and 3–6 categories', () => {
    for (const m of ministers.filter((x) => x.id !== 'general')) {
      expect(m.description.split(/(?<=\.)\s+/).length, m.id).toBeGreaterThanOrEqual(2);
      expect(m.description.split(/(?<=\.)\s+/).length, m.id).toBeLessThanOrEqual(3);
      expect(m.keywords.length, m.id).toBeGreaterThanOrEqual(15);
      expect(m.keywords.length, m.id).toBeLessThanOrEqual(30);
      expect(new Set(m.keywords).size, `${m.id} repeats a keyword`).toBe(m.keywords.length);
      expect(m.categories.length, m.id).toBeGreaterThanOrEqual(3);
      expect(m.categories.length, m.id).toBeLessThanOrEqual(6);
    }
  });
});

/**
 * The bundled ministers must route realistic text with the built-in lexical embedder (the
 * embedded-mode default) at the default threshold. If the `hash-v1` scheme or the keywords
 * change, re-tune config/ministers.yaml until these pass again.
 */
describe('routing realistic text with the hash embedder and the bundled ministers', () => {
  const embedder = createHashEmbedder({ dimension: 384 });
  let profiles: MinisterProfiles;
  beforeAll(async () => {
    profiles = await buildProfiles(ministers, embedder);
  });

  /** As the minister stage routes with a lexical embedder (by content words, ./route-batch.ts). */
  const route = async (text: string) => {
    const [embedding] = await embedder.embed([text]);
    const [routed] = await routeBatch([embeddedChunk(text, embedding!, { model: embedder.model })], { profiles, lexical: embedder });
    if (!routed || !('kind' in routed) || routed.kind !== 'chunk') throw new Error(`not routed: ${String(routed)}`);
    return routed as RoutedChunk;
  };

  it.each([
    ['finance', 'The chancellor presented the annual budget to parliament on Wednesday. Public spending on pensions and welfare will grow by two percent, while income tax thresholds stay frozen for another year. The treasury expects the deficit to fall to three percent of GDP as tax revenue recovers, but economists warned that higher interest payments on the national debt could eat into the savings.'],
    ['finance', 'Public debt reached 95 percent of GDP, and the treasury plans to issue new bonds to finance borrowing.'],
    ['health', 'The seasonal flu vaccination campaign opens next week for people over 65, pregnant women and those with chronic conditions. Pharmacies and GP surgeries will offer the vaccine free of charge, and public health officials urged everyone eligible to book early before the outbreak peaks.'],
    ['health', 'Regulators approved a new cancer drug after a clinical trial showed patients lived eight months longer on average. The medicine will be available on prescription in hospitals from the spring, though its high price means treatment will first be limited to the most severe cases.'],
    ['defence', 'Military recruitment fell short of its target for the fifth year running. The armed forces chief said pay, housing for service families and the length of training all discourage young people from joining the army, navy and air force.'],
    ['defence', 'Veterans who served in the armed forces will receive improved pensions and housing support.'],
    ['education', 'Teachers will receive a 5.5 percent pay rise and schools will get extra funding to hire staff and reduce class sizes. Head teachers welcomed the announcement but said pupils with special educational needs still lack support in classrooms.'],
    ['environment', 'Carbon emissions from electricity generation fell by a fifth last year as wind and solar farms replaced coal plants. The climate target of net zero by 2050 remains within reach, but transport and heating must decarbonise faster.'],
    ['justice', 'Legal aid cuts have left victims without lawyers, and the courts backlog keeps growing.'],
    ['transport', 'Road safety campaigns target speeding drivers on motorways.'],
    ['foreign-affairs', 'The foreign minister met her counterpart at the summit to discuss new sanctions and a bilateral trade agreement. Diplomats said the talks were constructive, and both countries agreed to reopen their embassies next month.'],
  ])('routes a %s text to its minister', async (expected, text) => {
    const routed = await route(text);
    expect(routed.ministerId).toBe(expected);
    expect(routed.routing.method).toBe('nearest');
  });

  it.each([
    ['monetary-policy', 'Inflation slowed to 2.4 percent in March, giving the central bank room to cut interest rates at its next meeting. Mortgage holders and businesses that borrowed heavily when rates were high would benefit first, and the currency weakened slightly against the dollar after the announcement.'],
    ['hospitals', 'Hospital waiting lists reached a record 7.6 million this winter. Emergency departments treated more patients than ever, and nurses and doctors warned that staff shortages put lives at risk. The health minister promised funding for extra beds and community clinics to ease pressure on hospitals.'],
    ['procurement', 'The navy has ordered three new frigates and an upgraded missile defence system in the largest procurement contract in a decade. The warships will be built in domestic shipyards, and the first is due to enter service with the fleet in 2029.'],
  ])('assigns the %s category', async (category, text) => {
    expect((await route(text)).category).toBe(category);
  });

  it.each([
    'Preheat the oven to 180 degrees. Mix the flour, sugar and butter in a large bowl, add two eggs and stir until smooth. Pour the batter into a greased tin and bake for forty minutes until golden brown.',
    'The home side scored twice in the second half to win the cup final. The striker curled a free kick into the top corner, and the goalkeeper saved a penalty in the closing minutes to seal the victory.',
    'To install the library, run npm install and import the client in your code. The README lists every option, and the examples folder shows how to configure logging and retries.',
  ])('sends off-topic text to general: %s', async (text) => {
    const routed = await route(text);
    expect(routed).toMatchObject({ ministerId: 'general', category: undefined, routing: { method: 'default' } });
  });
});
