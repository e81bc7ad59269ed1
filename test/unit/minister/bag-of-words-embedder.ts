import type { Embedder } from '../../../src/embedding/types.ts';

/**
 * A deterministic test embedder: one dimension per vocabulary word, value = how often the word
 * occurs (lowercased, split on non-letters). Words outside the vocabulary are ignored, so the
 * similarity of two texts is exactly their shared vocabulary.
 */
export function bagOfWordsEmbedder(vocabulary: readonly string[], model = 'bow-test'): Embedder & { calls: string[][] } {
  const index = new Map(vocabulary.map((w, i) => [w, i]));
  const calls: string[][] = [];
  return {
    model,
    dimension: vocabulary.length,
    kind: 'lexical',
    calls,
    async embed(texts) {
      calls.push([...texts]);
      return texts.map((text) => {
        const v = new Float32Array(vocabulary.length);
        for (const word of text.toLowerCase().split(/[^a-z]+/)) {
          const i = index.get(word);
          if (i !== undefined) v[i]! += 1;
        }
        return v;
      });
    },
  };
}
