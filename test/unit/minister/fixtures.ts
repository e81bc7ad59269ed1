import type { EmbeddedChunk } from '../../../src/topics/messages.ts';

/** A small ministers file used by the routing tests. */
export const TEST_MINISTERS_YAML = `
ministers:
  - id: finance
    name: Finance
    description: Public money and the economy.
    keywords: [budget, deficit, taxation, treasury]
    categories:
      - { id: budget, name: Budget, keywords: [budget, deficit, spending] }
      - { id: taxation, name: Taxation, keywords: [taxation, vat, income] }
  - id: health
    name: Health
    description: Hospitals and care.
    keywords: [hospital, patients, vaccine, nurses]
    categories:
      - { id: hospitals, name: Hospitals, keywords: [hospital, beds, nurses] }
      - { id: public-health, name: Public health, keywords: [vaccine, outbreak] }
  - id: defence
    name: Defence
    description: The armed forces.
    keywords: [army, navy, missile, troops]
    categories: []
`;

/** Every word the tests' texts use that should count; anything else is ignored by the embedder. */
export const VOCABULARY = [
  'finance', 'budget', 'deficit', 'taxation', 'treasury', 'spending', 'vat', 'income', 'money', 'economy',
  'health', 'hospital', 'patients', 'vaccine', 'nurses', 'beds', 'outbreak', 'care',
  'defence', 'army', 'navy', 'missile', 'troops', 'forces',
  'general', 'weather', 'football',
];

/** An embedded chunk with the given text and embedding; the rest is fixed. */
export function embeddedChunk(text: string, embedding: Float32Array, fields: Partial<EmbeddedChunk> = {}): EmbeddedChunk {
  return {
    kind: 'chunk',
    docId: 'doc-1',
    version: 1_700_000_000_000,
    contentHash: 'c0ffee',
    chunkId: 'chunk-1',
    seq: 0,
    count: 1,
    text,
    tokenCount: text.split(/\s+/).length,
    headingPath: [],
    embedding,
    model: 'bow-test',
    ...fields,
  };
}
