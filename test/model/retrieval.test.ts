/**
 * Retrieval and routing quality with the real model (all-MiniLM-L6-v2 served by Ollama),
 * measured with the eval library exactly as `era-ingest eval` measures it: the bundled samples
 * ingested into a temporary embedded store through `era-ingest run`'s path, the labelled
 * questions of eval/samples.json asked through `era-ingest search`'s function.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { evaluateEmbedder, type EmbedderEvaluation } from '../../src/cli/eval/evaluate.ts';
import { DEFAULT_CORPUS, DEFAULT_QUESTION_SET, loadQuestionSet, parseQuestionSet } from '../../src/cli/eval/question-set.ts';
import { ollamaHost } from '../helpers/services.ts';

/** The configuration of an embedder, from these settings alone (not this process's environment). */
function configOf(embedder: 'hash' | 'ollama'): Config {
  // A generous request timeout: the model shares two cores with other work here.
  return loadConfig({ EMBEDDER: embedder, OLLAMA_HOST: ollamaHost(), EMBED_MODEL: 'all-minilm', EMBED_DIM: '384', EMBED_TIMEOUT_MS: '600000', EMBED_CONCURRENCY: '1' });
}

describe('retrieval and routing of the bundled samples with all-MiniLM-L6-v2', () => {
  let result: EmbedderEvaluation;
  beforeAll(async () => {
    // Vector search alone: these figures are the model's (README "Retrieval quality" has every mode).
    result = (await evaluateEmbedder(loadQuestionSet(DEFAULT_QUESTION_SET), configOf('ollama'), { corpus: DEFAULT_CORPUS, modes: ['vector'] }))[0]!;
    console.info(`MiniLM on eval/samples.json: recall@1 ${result.recallAt1.toFixed(3)}, recall@3 ${result.recallAt3.toFixed(3)}, MRR ${result.mrr.toFixed(3)}, routing ${result.routing.toFixed(3)} (${result.chunks} chunks)`);
  });

  it('ingests every document of the set', () => {
    expect(result.problems).toEqual([]);
    expect(result.documents).toBe(40);
  });

  it('finds the answer to the paraphrased questions in the top 3', () => {
    // Measured 0.994 (77.5 of 78: one of q42's two answers ranks 4th); margin 0.044, i.e. three
    // more questions may slip before this fails. The target of `era-ingest eval` is 0.90.
    expect(result.recallAt3).toBeGreaterThanOrEqual(0.95);
    // Measured 0.923 / 0.962: a first place for most questions, not only a top-3 one.
    expect(result.mrr).toBeGreaterThanOrEqual(0.9);
  });

  it('routes the chunks to the minister their document is labelled with', () => {
    // Measured 0.961 (173 of 180 chunks; 0.889 before a minister was scored by the best of its
    // own and its categories' profiles). Threshold 0.94: three more misrouted chunks fail it.
    expect(result.routing).toBeGreaterThanOrEqual(0.94);
  });
});

/**
 * Meaning, not words: each question shares no content word with the one document that answers
 * it, so the lexical hash embedder has nothing to match and ranks by chance, while the model
 * ranks the answer first.
 */
describe('paraphrases without a shared word', () => {
  const dir = mkdtempSync(join(tmpdir(), 'era-model-paraphrase-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const documents: Record<string, [minister: string, text: string]> = {
    'clinic.md': ['health', 'The physician prescribed antibiotics to cure the patient\'s infection.'],
    'commuting.md': ['transport', 'Season tickets on trains will be cheaper for commuters from March.'],
    'navy.md': ['defence', 'Two frigates joined the fleet after their sea trials.'],
    'saplings.md': ['environment', 'Gardeners planted oak saplings along the riverbank.'],
  };
  const questions = [
    { id: 'p1', question: 'Which doctor gave medicine for the illness?', answers: ['clinic.md'] },
    { id: 'p2', question: 'Will a yearly railway pass cost daily travellers less?', answers: ['commuting.md'] },
    { id: 'p3', question: 'New warships have entered naval service.', answers: ['navy.md'] },
    { id: 'p4', question: 'Young trees were put in the ground beside the stream.', answers: ['saplings.md'] },
  ];
  beforeAll(() => {
    for (const [name, [, text]] of Object.entries(documents)) writeFileSync(join(dir, name), `${text}\n`);
  });
  const set = parseQuestionSet(JSON.stringify({ documents: Object.fromEntries(Object.entries(documents).map(([k, [minister]]) => [k, { minister }])), questions }), 'paraphrases');

  it('are answered first by the model and not by the hash embedder', async () => {
    const model = (await evaluateEmbedder(set, configOf('ollama'), { corpus: dir, modes: ['vector'] }))[0]!;
    const hash = (await evaluateEmbedder(set, configOf('hash'), { corpus: dir, modes: ['vector'] }))[0]!;
    console.info(`paraphrases: recall@1 MiniLM ${model.recallAt1}, hash ${hash.recallAt1}`);
    expect(model.problems).toEqual([]);
    expect(model.misses).toEqual([]);
    expect(model.recallAt1).toBe(1);
    // The control: without shared words, the lexical embedder misses some of them (measured:
    // recall@1 0.5, two of the four first by chance).
    expect(hash.recallAt1).toBeLessThan(1);
  });
});
