/**
 * Routes a batch of embedded chunks (the minister stage's transform).
 *
 * With a lexical embedder (feature hashing) a chunk is routed by the vector of its *content
 * words*, re-embedded here, not by its stored embedding: the function words that fill every
 * chunk dominate a hashed vector and pull its similarity to every (content-word) profile under
 * the threshold. Measured on the bundled samples (172 chunks whose folder names their minister,
 * hash-v1, 384 dimensions, threshold 0.2, a minister scored by its own profile alone, as routing
 * was then): 61.6 % routed to their folder's minister with the stored vectors (47 sent to
 * general), 77.3 % with content-word vectors (9 to general). Content-word vectors also score
 * off-topic text higher (a match report: 0.21 against some minister, 0.10 from its stored
 * vector), so their threshold is 0.22 (LEXICAL_THRESHOLD): on the samples 75.6 % right, 20 to
 * general, and the off-topic texts of test/unit/minister/shipped-ministers.test.ts (a recipe, a
 * match report, install notes: at most 0.209) still go to general. Since a minister is scored by
 * the best of its own and its categories' profiles (./route.ts): 77.3 % with the stored vectors
 * (14 to general), 84.3 % with content-word vectors at 0.22 (8 to general), off-topic texts
 * still at most 0.209. Hashing is cheap (tens of µs per chunk). A semantic model's embedding is
 * used as it is, with the default threshold. The output keeps each chunk's stored embedding.
 */
import type { Embedder } from '../../embedding/types.ts';
import { toPipelineError, type PipelineError } from '../../errors/pipeline-error.ts';
import type { EmbeddingsValue, MinistersValue } from '../../topics/messages.ts';
import type { MinisterProfiles } from './profiles.ts';
import { routeValue, type RouteOptions } from './route.ts';
import { contentWords } from './stop-words.ts';

/** Routing threshold for content-word vectors of a lexical embedder (see above). */
export const LEXICAL_THRESHOLD = 0.22;

export interface Router {
  profiles: MinisterProfiles;
  options?: RouteOptions;
  /** The embedder the profiles were built with, when it is lexical (re-embeds content words). */
  lexical?: Embedder;
}

/** One result per value, in order: the routed value, or the error that makes it poison. */
export async function routeBatch(values: readonly EmbeddingsValue[], { profiles, options = {}, lexical }: Router, signal?: AbortSignal): Promise<Array<MinistersValue | PipelineError>> {
  const chunks = values.flatMap((v, i) => (v.kind === 'chunk' ? [{ i, v }] : []));
  const routing = new Map<number, Float32Array>();
  if (lexical && chunks.length) {
    const vectors = await lexical.embed(chunks.map(({ v }) => contentWords(v.text)), signal);
    chunks.forEach(({ i }, k) => routing.set(i, vectors[k]!));
  }
  return values.map((value, i) => {
    try {
      const vector = routing.get(i);
      if (value.kind !== 'chunk' || !vector) return routeValue(value, profiles, options);
      return { ...routeValue({ ...value, embedding: vector }, profiles, { threshold: LEXICAL_THRESHOLD, ...options }), embedding: value.embedding } as MinistersValue;
    } catch (error) {
      return toPipelineError(error);
    }
  });
}
