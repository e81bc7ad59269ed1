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
import { norm } from './vectors.ts';

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
  const m = matrixOf(profiles);
  const scores = similarities(chunk.embedding, length, m);

  let ministerId: string;
  let routing: RoutedChunk['routing'];
  const explicit = resolveExplicitMinister(chunk.minister, profiles);
  if (explicit !== undefined) {
    ministerId = explicit;
    routing = { method: 'explicit' };
  } else {
    // A minister is as near as the nearest of its own and its categories' profiles; the
    // fallback minister never competes; ties go to the earlier minister.
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    profiles.ministers.forEach((p, k) => {
      if (p.id === fallbackId) return;
      const { own, categories } = m.ministers[k]!;
      let score = scores[own]!;
      for (const row of categories) score = Math.max(score, scores[row]!);
      if (best < 0 || score > bestScore) [best, bestScore] = [k, score];
    });
    if (best >= 0 && bestScore >= threshold) {
      ministerId = profiles.ministers[best]!.id;
      routing = { method: 'nearest', score: bestScore };
    } else {
      ministerId = fallbackId;
      routing = best >= 0 ? { method: 'default', score: bestScore } : { method: 'default' };
    }
  }

  const minister = profiles.byId.get(ministerId);
  const category = resolveExplicitCategory(chunk.category, minister) ?? (minister ? nearestCategory(minister, m, scores) : undefined);
  return { ...chunk, ministerId, category, routing };
}

/** The minister's most similar category (the first of equals), undefined when it has none. */
function nearestCategory(minister: MinisterProfile, m: ProfileMatrix, scores: Float64Array): string | undefined {
  const rows = m.rows.get(minister)?.categories;
  if (!rows) return undefined;
  let best = -1;
  for (let j = 0; j < rows.length; j++) if (best < 0 || scores[rows[j]!]! > scores[rows[best]!]!) best = j;
  return best < 0 ? undefined : minister.categories[best]!.id;
}

/** Every profile vector of a MinisterProfiles in one row-major matrix, and each minister's rows. */
interface ProfileMatrix {
  readonly matrix: Float32Array;
  readonly count: number;
  /** Per minister, in profiles.ministers order: the row of its own profile and of each category. */
  readonly ministers: ReadonlyArray<MinisterRows>;
  /** The same rows by minister profile. */
  readonly rows: ReadonlyMap<MinisterProfile, MinisterRows>;
}

interface MinisterRows {
  readonly own: number;
  readonly categories: readonly number[];
}

const matrices = new WeakMap<MinisterProfiles, ProfileMatrix>();

function matrixOf(profiles: MinisterProfiles): ProfileMatrix {
  let m = matrices.get(profiles);
  if (!m) {
    const vectors: Float32Array[] = [];
    const ministers = profiles.ministers.map((p) => {
      const own = vectors.push(p.vector) - 1;
      return { own, categories: p.categories.map((c) => vectors.push(c.vector) - 1) };
    });
    const matrix = new Float32Array(vectors.length * profiles.dimension);
    vectors.forEach((v, r) => matrix.set(v, r * profiles.dimension));
    m = { matrix, count: vectors.length, ministers, rows: new Map(profiles.ministers.map((p, k) => [p, ministers[k]!])) };
    matrices.set(profiles, m);
  }
  return m;
}

/**
 * The chunk's cosine similarity to every profile (minister and category), once per chunk, over
 * one contiguous matrix: 28 µs a chunk for the 49 shipped profiles at 384 dimensions, where a
 * closure per profile over separate vectors took 52 µs. Sums may differ from `dot()` of
 * ./vectors.ts in the last bits (another order of additions); ties are still decided by file order.
 */
function similarities(e: Float32Array, length: number, { matrix, count }: ProfileMatrix): Float64Array {
  const dim = e.length;
  const scores = new Float64Array(count);
  if (length > 0) {
    for (let r = 0, base = 0; r < count; r++, base += dim) {
      // Four running sums: independent additions pipeline (28 µs a chunk instead of 37).
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let i = 0;
      for (; i + 3 < dim; i += 4) {
        s0 += e[i]! * matrix[base + i]!;
        s1 += e[i + 1]! * matrix[base + i + 1]!;
        s2 += e[i + 2]! * matrix[base + i + 2]!;
        s3 += e[i + 3]! * matrix[base + i + 3]!;
      }
      for (; i < dim; i++) s0 += e[i]! * matrix[base + i]!;
      scores[r] = (s0 + s1 + s2 + s3) / length;
    }
  }
  return scores;
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
