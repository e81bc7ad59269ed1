/**
 * The `model` scenario's arithmetic, pure: how many batches a concurrency level gets and how
 * many documents a pipeline run gets (from a measured speed), the best level, the embedder's
 * stage environment, whether a server's vectors mean anything (a real model, not the test
 * double's hashes), and the notes that say where a run lost time against the ceiling.
 */
import type { EmbedFigures, ModelCeiling, ModelCeilingLevel, ModelServer, ScenarioResult } from './types.ts';

/** Concurrency levels of the ceiling, requests at once. */
export const MODEL_LEVELS = [1, 2, 3, 4] as const;
/** Least time of one level, s. */
export const MODEL_LEVEL_SECONDS = 15;
/** Embedding time a pipeline run is sized for at the ceiling's rate, s (≥ 30 s at 90 % of it). */
export const MODEL_RUN_SECONDS = 40;
/** Fewest documents of a pipeline run with the model (≈ 200 chunks). */
export const MODEL_MIN_DOCS = 50;

/**
 * Batches per level: enough for `seconds` at `chunksPerSec` (the speed measured with every
 * level's highest concurrency, so the slower levels run longer), with 20 % to spare; at least
 * one round of the highest level.
 */
export function batchesPerLevel(chunksPerSec: number, batchSize: number, seconds = MODEL_LEVEL_SECONDS, maxLevel: number = MODEL_LEVELS.at(-1)!): number {
  if (!(chunksPerSec > 0) || !(batchSize > 0)) throw new RangeError(`batchesPerLevel: chunksPerSec=${chunksPerSec} and batchSize=${batchSize} must be > 0`);
  return Math.max(maxLevel, Math.ceil((seconds * chunksPerSec * 1.2) / batchSize));
}

/** Documents of a pipeline run: `seconds` of embedding at `chunksPerSec`, at least `minDocs`. */
export function modelRunDocs(chunksPerSec: number, chunksPerDoc: number, seconds = MODEL_RUN_SECONDS, minDocs = MODEL_MIN_DOCS): number {
  if (!(chunksPerSec > 0) || !(chunksPerDoc > 0)) return minDocs;
  return Math.max(minDocs, Math.ceil((chunksPerSec * seconds) / chunksPerDoc));
}

/** The level with the most chunks/s (the earlier, lower level on a tie). */
export function bestLevel(levels: readonly ModelCeilingLevel[]): ModelCeilingLevel | undefined {
  return levels.reduce<ModelCeilingLevel | undefined>((best, l) => (!best || l.chunksPerSec > best.chunksPerSec ? l : best), undefined);
}

/** Share of the samples at each value, e.g. limits seen per request → {"1": 0.1, "2": 0.9}. */
export function shares(samples: readonly number[]): Record<string, number> | undefined {
  if (samples.length === 0) return undefined;
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  return Object.fromEntries([...counts].map(([v, n]) => [String(v), n / samples.length]));
}

/** The entries of `shares`, most frequent first (an object keeps integer-like keys in ascending order). */
const byShare = (s: Record<string, number>): Array<[string, number]> => Object.entries(s).sort((a, b) => b[1] - a[1]);

/** `2 in 90 %, 1 in 10 %`. */
export function describeShares(s: Record<string, number> | undefined): string {
  return s ? byShare(s).map(([v, share]) => `${v} in ${(share * 100).toFixed(0)} %`).join(', ') : 'not seen';
}

const MODEL_SERVICE = 'model server';
/** The report's name of the model server among a run's services. */
export const serverServiceName = (host: string): string => `${MODEL_SERVICE} (Ollama at ${host}; the whole server, shared with anyone else using it)`;

/** `all-minilm (384 dims) on Ollama 0.11.4 at http://127.0.0.1:11600`. */
export function describeModel(m: ModelServer): string {
  return `${m.model} (${m.dimension} dims) on Ollama ${m.version} at ${m.host}`;
}

/** The stage environment that selects a run's embedder: the test double at `doubleUrl`, the real `model`, or hash. */
export function embedderEnv(e: { doubleUrl?: string | undefined; model?: ModelServer | undefined }): Record<string, string> {
  if (e.model) return { EMBEDDER: 'ollama', OLLAMA_HOST: e.model.host, EMBED_MODEL: e.model.model };
  if (e.doubleUrl) return { EMBEDDER: 'ollama', OLLAMA_HOST: e.doubleUrl, EMBED_MODEL: 'all-minilm' };
  return { EMBEDDER: 'hash' };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Sentences for `isSemantic`: the first two mean the same in other words, the third is
 * unrelated. A model ranks the paraphrase far above the unrelated one; feature hashing (the
 * test double, EMBEDDER=hash) sees no shared words in either and ranks them alike.
 */
export const SEMANTIC_PROBE = [
  'A physician treats patients in the hospital.',
  'The doctor cares for sick people at a clinic.',
  'Quarterly tax receipts rose faster than expected.',
] as const;

/** True when the vectors of SEMANTIC_PROBE rank the paraphrase at least 0.2 above the unrelated sentence. */
export function isSemantic([a, b, c]: readonly ArrayLike<number>[]): boolean {
  if (!a || !b || !c) return false;
  return cosine(a, b) - cosine(a, c) >= 0.2;
}

/**
 * Where a pipeline run with the real model stood against the ceiling: its embedding rate and
 * share, the requests' mean time (beside the same concurrency's time at the ceiling), batch fill,
 * the concurrency limit it settled on, the model server's cores, and the time the model had no
 * request of ours. Each figure is left out when the run did not measure it.
 */
export function saturationNotes(s: ScenarioResult, ceiling: ModelCeiling): string[] {
  const notes: string[] = [];
  const embedded = s.embeddedChunks ?? s.storedChunks;
  const rate = embedded / Math.max(0.001, s.seconds);
  const best = ceiling.best;
  notes.push(`model: ${embedded} chunks embedded in ${s.seconds.toFixed(1)} s = ${rate.toFixed(1)} chunks/s, ${((rate / best.chunksPerSec) * 100).toFixed(0)} % of the ceiling ${best.chunksPerSec.toFixed(1)} chunks/s (straight at /api/embed, concurrency ${best.concurrency})`);
  notes.push(`embed stage settings: EMBED_CONCURRENCY=${s.settings.EMBED_CONCURRENCY ?? '(default)'}, EMBED_BATCH_SIZE=${s.settings.EMBED_BATCH_SIZE ?? '(default)'}`);
  const e: EmbedFigures | undefined = s.embed;
  if (!e) return notes;
  const batch = Number(s.settings.EMBED_BATCH_SIZE ?? ceiling.batchSize);
  const likeLimit = e.limitShares ? Number(byShare(e.limitShares)[0]![0]) : undefined;
  const peer = ceiling.levels.find((l) => l.concurrency === likeLimit);
  notes.push(`embed requests: ${e.requests}, ${e.meanRequestMs.toFixed(0)} ms each on average${peer ? ` (at the ceiling with ${peer.concurrency} at once: ${peer.meanRequestMs.toFixed(0)} ms)` : ''}; ${e.inputsPerRequest.toFixed(1)} chunks per request (batch ${batch}: ${((e.inputsPerRequest / batch) * 100).toFixed(0)} % full)`);
  notes.push(`concurrency limit of the embed stage: ${describeShares(e.limitShares)}`);
  if (e.serverCores !== undefined) notes.push(`model server used ${e.serverCores.toFixed(2)} cores${best.serverCores !== undefined ? ` (${best.serverCores.toFixed(2)} at the ceiling)` : ''}; the run's own processes ${ownCores(s).toFixed(2)}, other work ${(s.otherCpuCores ?? 0).toFixed(2)}`);
  if (e.inFlightS !== undefined) notes.push(`a request of ours was in flight ${e.inFlightS.toFixed(1)} s of the ${s.seconds.toFixed(1)} s (${((1 - e.inFlightS / s.seconds) * 100).toFixed(0)} % of the window the model had nothing from us)`);
  return notes;
}

/** Cores used by the run's processes and services other than the model server. */
function ownCores(s: ScenarioResult): number {
  return [...s.processes, ...(s.services ?? []).filter((v) => !v.name.startsWith(MODEL_SERVICE))].reduce((sum, p) => sum + p.cpuShare, 0);
}
