/**
 * The minister stage's pure transform (DESIGN.md §7): picks a minister and a category for
 * every embedded chunk. No I/O, clock or environment; the same input gives the same output.
 *
 * Minister, in order:
 * 1. `explicit` — the document names a minister. Matched against configured ids, then
 *    case-insensitively against ids and names ("Foreign Affairs" → `foreign-affairs`). A value
 *    that matches nothing configured is still kept, lowercased, when it is a valid id
 *    (MINISTER_ID_PATTERN): the producer's intent wins over our configuration, and the store
 *    creates the minister's row on first use. A value that is not a valid id (e.g. "Ministry of
 *    X") is ignored and the chunk is routed as if it had none.
 * 2. `nearest` — the minister most similar to the chunk, if the similarity is at least
 *    `threshold`. A minister's similarity is the best cosine similarity of the chunk to its own
 *    profile or to any of its categories' profiles (max, not one centroid): a chunk about one
 *    narrow part of a domain (a VAT threshold, a pharmacy pilot) is close to that category's
 *    profile while the minister's single profile, spread over the whole domain, may be far.
 *    Measured on the bundled samples (`era-ingest eval`, 180 chunks labelled by
 *    eval/samples.json): all-MiniLM-L6-v2 routed 88.9 % of chunks to their minister with the
 *    minister profile alone and 96.1 % with the best of minister and categories (14 → 0 sent to
 *    general by a missed threshold); the hash embedder 75.6 % → 84.3 % of the 172 folder-labelled
 *    chunks (test/unit/minister/sample-routing.test.ts). Off-topic texts stay under the
 *    threshold (MiniLM: at most 0.14). The fallback minister never competes: it is reached only
 *    explicitly or by default.
 * 3. `default` — the fallback minister (`general`); `score` is then the best similarity that
 *    fell short of the threshold (for tuning it), absent when there was no candidate.
 *
 * Category: the document's explicit category (mapped to the minister's configured category id
 * when it matches an id or name case-insensitively, else kept as given); otherwise the
 * minister's most similar category, no threshold; `undefined` when the minister has none.
 * Ties in similarity go to the earlier entry of the ministers file.
 */
import { ConfigError, ValidationError } from '../../errors/pipeline-error.ts';
import type { EmbeddedChunk, EmbeddingsValue, MinistersValue, RoutedChunk } from '../../topics/messages.ts';
import { GENERAL_MINISTER_ID, MINISTER_ID_PATTERN } from './ids.ts';
import type { MinisterProfile, MinisterProfiles } from './profiles.ts';
import { dot, norm } from './vectors.ts';

/** Options of {@link routeChunk}. */
export interface RouteOptions {
  /** Least cosine similarity for `nearest` routing; below it the chunk goes to the fallback. @defaultValue 0.2 */
  threshold?: number;
  /** Minister of chunks that match nothing. @defaultValue `'general'` */
  fallbackId?: string;
}

/**
 * Routes one embedded chunk to a minister and category.
 *
 * @throws ConfigError (CONFIG_INVALID, not retriable) when the chunk was embedded with another
 *   model or dimension than the profiles: the minister stage must use the embed stage's
 *   EMBEDDER / EMBED_MODEL / EMBED_DIM, or every similarity is meaningless.
 * @throws ValidationError (INVALID_MESSAGE) when the embedding holds NaN or Infinity.
 */
export function routeChunk(chunk: EmbeddedChunk, profiles: MinisterProfiles, { threshold = 0.2, fallbackId = GENERAL_MINISTER_ID }: RouteOptions = {}): RoutedChunk {
  const length = checkEmbedding(chunk, profiles);
  const similarity = (p: { vector: Float32Array }) => (length > 0 ? dot(chunk.embedding, p.vector) / length : 0);
  // A minister is as near as the nearest of its own and its categories' profiles.
  const ministerSimilarity = (m: MinisterProfile) => m.categories.reduce((best, c) => Math.max(best, similarity(c)), similarity(m));

  let ministerId: string;
  let routing: RoutedChunk['routing'];
  const explicit = resolveExplicitMinister(chunk.minister, profiles);
  if (explicit !== undefined) {
    ministerId = explicit;
    routing = { method: 'explicit' };
  } else {
    const best = argmax(profiles.ministers.filter((m) => m.id !== fallbackId), ministerSimilarity);
    if (best && best.score >= threshold) {
      ministerId = best.item.id;
      routing = { method: 'nearest', score: best.score };
    } else {
      ministerId = fallbackId;
      routing = best ? { method: 'default', score: best.score } : { method: 'default' };
    }
  }

  const minister = profiles.byId.get(ministerId);
  const category = resolveExplicitCategory(chunk.category, minister) ?? (minister ? argmax(minister.categories, similarity)?.item.id : undefined);
  return { ...chunk, ministerId, category, routing };
}

/** Routes chunks; deletions pass through unchanged (they carry no text to route). */
export function routeValue(value: EmbeddingsValue, profiles: MinisterProfiles, options: RouteOptions = {}): MinistersValue {
  return value.kind === 'delete' ? value : routeChunk(value, profiles, options);
}

/** The configured or valid id an explicit minister value stands for, else undefined. */
export function resolveExplicitMinister(value: string | undefined, profiles: MinisterProfiles): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (profiles.byId.has(v)) return v;
  const lower = v.toLowerCase();
  const match = profiles.ministers.find((m) => m.id === lower || m.name.toLowerCase() === lower);
  if (match) return match.id;
  return MINISTER_ID_PATTERN.test(lower) ? lower : undefined;
}

function resolveExplicitCategory(value: string | undefined, minister: MinisterProfile | undefined): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const lower = v.toLowerCase();
  return minister?.categories.find((c) => c.id === v || c.id === lower || c.name.toLowerCase() === lower)?.id ?? v;
}

/** Checks the embedding against the profiles; returns its length. */
function checkEmbedding(chunk: EmbeddedChunk, profiles: MinisterProfiles): number {
  if (chunk.model !== profiles.model || chunk.embedding.length !== profiles.dimension) {
    throw new ConfigError(
      `chunk ${chunk.chunkId} was embedded with model "${chunk.model}" (${chunk.embedding.length} dimensions) but the minister profiles with ` +
        `"${profiles.model}" (${profiles.dimension}); run the minister stage with the embed stage's EMBEDDER, EMBED_MODEL and EMBED_DIM`,
    );
  }
  const length = norm(chunk.embedding);
  if (!Number.isFinite(length)) throw new ValidationError(`chunk ${chunk.chunkId} has an embedding with NaN or Infinity`);
  return length;
}

function argmax<T>(items: readonly T[], score: (item: T) => number): { item: T; score: number } | undefined {
  let best: { item: T; score: number } | undefined;
  for (const item of items) {
    const s = score(item);
    if (!best || s > best.score) best = { item, score: s };
  }
  return best;
}
