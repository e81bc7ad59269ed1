/**
 * Minister profiles: one unit vector per minister and per category, embedded once at stage
 * start with the same embedder (model and dimension) as the chunks they are compared with.
 */
import type { Embedder } from '../../embedding/types.ts';
import { PipelineError } from '../../errors/pipeline-error.ts';
import type { Minister, MinisterCategory } from './ministers-file.ts';
import { contentWords } from './stop-words.ts';
import { normalise } from './vectors.ts';

/** A category's profile: the unit vector of "name keywords". */
export interface CategoryProfile {
  readonly id: string;
  readonly name: string;
  readonly vector: Float32Array;
}

/** A minister's profile: the unit vector of "name. description. keywords", and its categories. */
export interface MinisterProfile {
  readonly id: string;
  readonly name: string;
  readonly vector: Float32Array;
  readonly categories: readonly CategoryProfile[];
}

/** Everything routing needs; built once per stage start, read-only afterwards. */
export interface MinisterProfiles {
  /** Model of the embedder that built the profiles; chunks must carry the same one. */
  readonly model: string;
  readonly dimension: number;
  /** In ministers-file order (ties in similarity go to the earlier one). */
  readonly ministers: readonly MinisterProfile[];
  readonly byId: ReadonlyMap<string, MinisterProfile>;
}

/** Options of {@link buildProfiles}. */
export interface BuildProfilesOptions {
  /** Texts per `embed` call. @defaultValue 16 */
  batchSize?: number;
  /** Aborts the embedding calls (stage shutdown). */
  signal?: AbortSignal;
}

/**
 * The text a minister is embedded as: "name. description. keywords". For a lexical embedder,
 * only its content words (see ./stop-words.ts for why).
 */
export function ministerProfileText(minister: Minister, kind: Embedder['kind'] = 'semantic'): string {
  const sentence = (s: string) => s.trim().replace(/[.\s]+$/, '');
  const text = `${sentence(minister.name)}. ${sentence(minister.description)}. ${minister.keywords.join(', ')}`;
  return kind === 'lexical' ? contentWords(text) : text;
}

/** The text a category is embedded as: "name keywords" (content words only for a lexical embedder). */
export function categoryProfileText(category: MinisterCategory, kind: Embedder['kind'] = 'semantic'): string {
  const text = `${category.name} ${category.keywords.join(' ')}`;
  return kind === 'lexical' ? contentWords(text) : text;
}

/**
 * Embeds every minister and category once (at stage start) and normalises the vectors to unit
 * length. Call it with the embed stage's embedder (same EMBEDDER, EMBED_MODEL, EMBED_DIM): routing
 * refuses chunks of another model.
 *
 * @throws whatever the embedder throws (a retriable DependencyError when it is down: the caller
 *   retries the stage start); PipelineError EMBEDDER_BAD_RESPONSE when it returns the wrong
 *   number of vectors or vectors of the wrong dimension.
 */
export async function buildProfiles(ministers: readonly Minister[], embedder: Embedder, { batchSize = 16, signal }: BuildProfilesOptions = {}): Promise<MinisterProfiles> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const texts = ministers.flatMap((m) => [ministerProfileText(m, embedder.kind), ...m.categories.map((c) => categoryProfileText(c, embedder.kind))]);
  const vectors: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize);
    const out = await embedder.embed(batch, signal);
    if (out.length !== batch.length) {
      throw new PipelineError('EMBEDDER_BAD_RESPONSE', `embedder ${embedder.model} returned ${out.length} vectors for ${batch.length} minister profile texts`);
    }
    for (const v of out) {
      if (v.length !== embedder.dimension) {
        throw new PipelineError('EMBEDDER_BAD_RESPONSE', `embedder ${embedder.model} returned a ${v.length}-dimensional vector, expected ${embedder.dimension} (EMBED_DIM)`);
      }
      vectors.push(normalise(v));
    }
  }
  let next = 0;
  const take = (): Float32Array => vectors[next++]!;
  const profiles = ministers.map((m): MinisterProfile => ({
    id: m.id,
    name: m.name,
    vector: take(),
    categories: m.categories.map((c) => ({ id: c.id, name: c.name, vector: take() })),
  }));
  return { model: embedder.model, dimension: embedder.dimension, ministers: profiles, byId: new Map(profiles.map((p) => [p.id, p])) };
}
