/**
 * Evaluates retrieval and routing with one embedder: ingests the corpus into a fresh
 * temporary embedded store through `era-ingest run`'s own path (runEmbeddedCommand: the same
 * stages, profiles and store), asks every question through `era-ingest search`'s function in
 * each search mode asked for (searchByMode(): vector — the query embedded by the same embedder,
 * nearest current chunks —, text, or hybrid), ranks documents by their best chunk and scores
 * them against the set (./metrics.ts). The corpus is ingested once for all the modes.
 *
 * Contract: the temporary store (a PGlite folder under the OS temp dir) is removed before the
 * returned promise settles, whatever happens. A stage that rejects inputs, a file that cannot
 * be read, or a run stopped early (a dependency down past RETRY_DEADLINE_MS) does not throw:
 * it is reported in `problems`; the figures cover what was stored, or are NaN (`failed`) when the
 * run stopped early (then no question is asked). Throws what the embedder or the store throw
 * while the questions are asked (e.g. a ConfigError for a model Ollama does not have). Stored
 * file ids are paths relative to the working directory, as `run` makes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../open-store.ts';
import { runEmbeddedCommand } from '../run-embedded.ts';
import type { Config } from '../../config/schema.ts';
import { settleConfig } from '../../embedding/dimension.ts';
import { createEmbedder } from '../../embedding/create-embedder.ts';
import type { Embedder } from '../../embedding/types.ts';
import { DEFAULT_SEARCH_MODE, needsVector, searchByMode, type SearchMode } from '../../storage/hybrid-search.ts';
import { chunksByMinister } from '../../storage/search.ts';
import type { SqlClient } from '../../storage/sql-client.ts';
import { documentKeyMapper } from './document-keys.ts';
import { meanScores, rankDocuments, routingAccuracy, scoreQuestion, type QuestionScore } from './metrics.ts';
import type { Question, QuestionSet } from './question-set.ts';

export interface EvaluateOptions {
  /** The folder of documents the set was written for; file keys are paths relative to it. */
  corpus: string;
  /** One line per step (ingesting, asking), for a person waiting on a slow model. */
  onProgress?: (line: string) => void;
  /** Show `run`'s progress bar while ingesting. @defaultValue false */
  progressBar?: boolean;
  /** Search modes to measure, one evaluation each, over one ingest. @defaultValue ['hybrid'] (search's default) */
  modes?: readonly SearchMode[];
  signal?: AbortSignal;
}

/** A question not fully answered: its first document is no answer, or its top 3 lack an answer that fits. */
export interface Miss {
  id: string;
  question: string;
  /** Every answer with its rank among the ranked documents (undefined: not ranked at all). */
  answers: Array<{ key: string; rank?: number }>;
  /** The documents that came first (up to 3), with their best chunk's score in the mode (cosine similarity, ts_rank_cd or RRF). */
  first: Array<{ key: string; score: number }>;
}

/** A labelled document some of whose chunks went to another minister. */
export interface Misrouted {
  key: string;
  label: string;
  chunks: number;
  /** Minister → chunks sent there. */
  to: Record<string, number>;
}

export interface EmbedderEvaluation {
  embedder: string;
  /** The search mode the questions were asked in. */
  mode: SearchMode;
  model: string;
  kind: Embedder['kind'];
  dimension: number;
  questions: number;
  documents: number;
  chunks: number;
  /** The figures (./metrics.ts); NaN when the evaluation failed. */
  recallAt1: number;
  recallAt3: number;
  mrr: number;
  /** Share of stored chunks of labelled documents routed to their document's minister. */
  routing: number;
  seconds: { ingest: number; questions: number; total: number };
  /** What went wrong while ingesting or mapping ids; empty for a clean run. */
  problems: string[];
  /** The ingest stopped early (see problems): no questions were asked and the figures are NaN. */
  failed?: boolean;
  misses: Miss[];
  misrouted: Misrouted[];
}

/** Evaluates one embedder (config.embedder, EMBED_MODEL …) on `set`, one evaluation per mode in `options.modes`. See the file's contract. */
export async function evaluateEmbedder(set: QuestionSet, config: Config, options: EvaluateOptions): Promise<EmbedderEvaluation[]> {
  const { corpus, onProgress = () => undefined, signal, modes = [DEFAULT_SEARCH_MODE] } = options;
  if (modes.length === 0) throw new RangeError('evaluateEmbedder: modes is empty');
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'era-eval-'));
  // The dimension is settled first (a model is probed): the questions' embedder must match the store's.
  const embedder = createEmbedder(await settleConfig(config));
  try {
    onProgress(`${config.embedder}: ingesting ${corpus} into a temporary store`);
    const run = await runEmbeddedCommand([corpus], config, { dataDir }, { progress: options.progressBar === true, ...(signal ? { signal } : {}) });
    const evaluation = {
      embedder: config.embedder, model: embedder.model, kind: embedder.kind, dimension: embedder.dimension, questions: set.questions.length,
      problems: run.failures.map((f) => `${f.origin}: ${f.reason}`),
    };
    if (run.error) {
      // A dependency stayed down past the deadline: asking would only wait for it again.
      evaluation.problems.push(`the ingest stopped before the end: ${run.error}`);
      return modes.map((mode) => ({
        ...evaluation, mode, documents: run.documents, chunks: run.chunks, recallAt1: NaN, recallAt3: NaN, mrr: NaN, routing: NaN, failed: true,
        seconds: { ingest: run.seconds, questions: 0, total: (Date.now() - started) / 1000 }, misses: [], misrouted: [],
      }));
    }
    onProgress(`${config.embedder}: ${run.documents} documents, ${run.chunks} chunks in ${run.seconds.toFixed(1)} s; asking ${set.questions.length} questions (${modes.join(', ')})`);
    const { client } = await openStore({ dataDir }, config);
    try {
      const keyOf = documentKeyMapper(set.labels);
      const stored = (await chunksByMinister(client)).map((s) => ({ ...s, key: keyOf(s.docId) }));
      const storedKeys = new Set<string>();
      for (const { docId, key } of stored) {
        if (key === undefined) evaluation.problems.push(`stored document ${docId} is not a document of ${set.source}`);
        else storedKeys.add(key);
      }
      const missing = [...set.labels.keys()].filter((key) => !storedKeys.has(key));
      if (missing.length) evaluation.problems.push(`${missing.length} document(s) of ${set.source} were not stored from ${corpus}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
      const routing = routingAccuracy(stored, set.labels);
      const misrouted = [...routing.wrong].map(([key, to]) => ({
        key, label: set.labels.get(key)!, chunks: stored.filter((s) => s.key === key).reduce((n, s) => n + s.chunks, 0), to: Object.fromEntries(to),
      }));
      const asked = Date.now();
      const vectors = modes.some(needsVector) ? await embedQuestions(set.questions, embedder, config.embedBatchSize, signal) : undefined;
      const embedded = (Date.now() - asked) / 1000;
      const out: EmbedderEvaluation[] = [];
      for (const mode of modes) {
        const askedMode = Date.now();
        const answered = await askQuestions(set.questions, mode, client, embedder.model, vectors, keyOf);
        const means = meanScores(answered.map((a) => a.score));
        const questionSeconds = (Date.now() - askedMode) / 1000 + (needsVector(mode) ? embedded : 0);
        out.push({
          ...evaluation, mode, documents: storedKeys.size, chunks: routing.total + routing.unlabelled,
          recallAt1: means.recallAt1, recallAt3: means.recallAt3, mrr: means.mrr, routing: routing.accuracy,
          seconds: { ingest: run.seconds, questions: questionSeconds, total: (asked - started) / 1000 + questionSeconds },
          misses: answered.flatMap((a) => (a.miss ? [a.miss] : [])),
          misrouted,
        });
      }
      return out;
    } finally {
      await client.close();
    }
  } finally {
    await embedder.close?.().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Answered {
  score: QuestionScore;
  miss?: Miss;
}

/** Every question embedded, in batches, in order. */
async function embedQuestions(questions: readonly Question[], embedder: Embedder, batchSize: number, signal?: AbortSignal): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let i = 0; i < questions.length; i += batchSize) vectors.push(...await embedder.embed(questions.slice(i, i + batchSize).map((q) => q.question), signal));
  return vectors;
}

/** Every question searched in `mode` (with its vector, when the mode needs one); documents ranked by their best chunk. */
async function askQuestions(questions: readonly Question[], mode: SearchMode, client: SqlClient, model: string, vectors: readonly Float32Array[] | undefined, keyOf: (docId: string) => string | undefined): Promise<Answered[]> {
  const out: Answered[] = [];
  for (const [i, q] of questions.entries()) {
    // The 1,000 best chunks: every chunk of a corpus like the samples, and far more than the
    // top 10 documents need otherwise.
    const vector = vectors?.[i];
    const hits = await searchByMode(client, mode, { text: q.question, ...(vector ? { vector } : {}) }, { k: 1000, model });
    const ranked = rankDocuments(hits.map((h) => keyOf(h.docId)));
    const score = scoreQuestion(ranked, q.answers);
    if (score.recallAt1 === 1 && score.recallAt3 === 1) {
      out.push({ score });
      continue;
    }
    const best = new Map<string, number>();
    for (const h of hits) {
      const key = keyOf(h.docId);
      if (key !== undefined && !best.has(key)) best.set(key, h.score);
    }
    out.push({
      score,
      miss: {
        id: q.id, question: q.question,
        answers: q.answers.map((key) => (ranked.includes(key) ? { key, rank: ranked.indexOf(key) + 1 } : { key })),
        first: ranked.slice(0, 3).map((key) => ({ key, score: best.get(key)! })),
      },
    });
  }
  return out;
}
