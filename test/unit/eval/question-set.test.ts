import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDocuments } from '../../../src/documents/files.ts';
import { documentKeyMapper } from '../../../src/cli/eval/document-keys.ts';
import { DEFAULT_CORPUS, DEFAULT_QUESTION_SET, loadQuestionSet, parseQuestionSet } from '../../../src/cli/eval/question-set.ts';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';

const valid = {
  corpus: 'docs',
  documents: { 'finance/budget.md': { minister: 'finance' }, 'press-1': { minister: 'health' } },
  questions: [
    { id: 'q1', question: 'How big is the deficit?', answers: ['finance/budget.md'] },
    { id: 'q2', question: 'Who gets a flu jab?', answers: ['press-1', 'finance/budget.md'] },
  ],
};

/** The ConfigError message for `set` (an object is serialised as JSON). */
function errorOf(set: unknown, source = 'set.json'): string {
  try {
    parseQuestionSet(typeof set === 'string' ? set : JSON.stringify(set), source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('eval question set', () => {
  it('reads labels and questions', () => {
    const set = parseQuestionSet(JSON.stringify(valid), 'set.json');
    expect(set.labels).toEqual(new Map([['finance/budget.md', 'finance'], ['press-1', 'health']]));
    expect(set.questions.map((q) => q.answers)).toEqual([['finance/budget.md'], ['press-1', 'finance/budget.md']]);
    expect(set).toMatchObject({ source: 'set.json', corpus: 'docs' });
  });

  it('validates the bundled set for the bundled samples', () => {
    const set = loadQuestionSet(DEFAULT_QUESTION_SET);
    expect(set.questions.length).toBeGreaterThanOrEqual(50);
    expect(set.labels.size).toBe(40);
    expect(DEFAULT_CORPUS).toMatch(/samples$/);
  });

  it('names the file and the question when an answer is no document of the set', () => {
    const bad = { ...valid, questions: [valid.questions[0], { id: 'q2', question: 'x?', answers: ['press-1', 'press-9'] }] };
    expect(errorOf(bad, 'eval/mine.json')).toBe('eval set eval/mine.json: questions[1] (q2).answers[1]: "press-9" is not a key of "documents"');
  });

  it('rejects repeated question ids and repeated answers', () => {
    expect(errorOf({ ...valid, questions: [valid.questions[0], valid.questions[0]] })).toMatch(/questions\[1\] \(q1\)\.id: "q1" is used twice/);
    expect(errorOf({ ...valid, questions: [{ id: 'q1', question: 'x?', answers: ['press-1', 'press-1'] }] })).toMatch(/questions\[0\] \(q1\)\.answers\[1\]: "press-1" is listed twice/);
  });

  it.each([
    [{ ...valid, questions: [{ id: 'q1', question: '  ', answers: ['press-1'] }] }, /questions\[0\] \(q1\)\.question: must not be empty/],
    [{ ...valid, questions: [{ id: 'q1', question: 'x?', answers: [] }] }, /questions\[0\] \(q1\)\.answers: needs at least one document key/],
    [{ ...valid, questions: [{ id: 'q1', question: 'x?', answer: ['press-1'] }] }, /questions\[0\] \(q1\): unknown field\(s\) "answer"/],
    [{ ...valid, questions: [] }, /questions: needs at least one question/],
    [{ ...valid, documents: { 'a.md': { minister: 'Foreign Affairs' } } }, /documents\.a\.md\.minister: must be a minister id/],
    [{ questions: valid.questions }, /documents: is required/],
    [[1, 2], /\(top level\): expected an object with "documents" and "questions"/],
    ['{ not json', /eval set set\.json: not valid JSON/],
  ])('rejects a malformed set (%#)', (set, message) => {
    expect(errorOf(set)).toMatch(message);
  });

  it('names the file it cannot read', () => {
    expect(() => loadQuestionSet('/no/such/set.json')).toThrow(/eval set \/no\/such\/set\.json cannot be read/);
  });
});

describe('stored document ids to keys of the set', () => {
  const keys = new Set(['finance/budget.md', 'press-1']);
  const root = mkdtempSync(join(tmpdir(), 'era-eval-keys-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const corpus = join(root, 'samples');
  mkdirSync(join(corpus, 'finance'), { recursive: true });
  writeFileSync(join(corpus, 'finance', 'budget.md'), '# Budget\n\nThe deficit narrowed.\n');
  writeFileSync(join(corpus, 'press.json'), JSON.stringify({ id: 'press-1', text: 'A press release.' }));

  it.each([
    ['the folder above the corpus', root, 'samples'],
    ['the corpus itself', corpus, '.'],
    ['a folder elsewhere', join(root, 'elsewhere', 'deep'), '../../samples'],
  ])('maps the ids `run` gives the corpus files in %s to their keys', async (_what, cwd, corpusArg) => {
    mkdirSync(cwd, { recursive: true });
    const keyOf = documentKeyMapper(keys);
    const ids: string[] = [];
    for await (const item of readDocuments([corpusArg], { cwd })) if (item.kind === 'document') ids.push(item.doc.id);
    expect(ids.map(keyOf).sort()).toEqual(['finance/budget.md', 'press-1']);
  });

  it('knows nothing but the keys', () => {
    const keyOf = documentKeyMapper(keys);
    expect(keyOf('press-2')).toBeUndefined();
    expect(keyOf('samples/finance/budget.md')).toBeUndefined();
    expect(keyOf(resolve('/elsewhere/finance/budget.md'))).toBeUndefined();
  });
});
