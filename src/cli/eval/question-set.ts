/**
 * The labelled question set of `era-ingest eval` (eval/samples.json for the bundled samples):
 *
 * ```json
 * { "corpus": "samples", "about": "…",
 *   "documents": { "finance/budget.md": { "minister": "finance" }, "press-1": { "minister": "health" } },
 *   "questions": [ { "id": "q01", "question": "…", "answers": ["finance/budget.md"] } ] }
 * ```
 *
 * A document key is a file's path relative to the corpus folder (with `/`), or the `id` of a
 * document read from a .json/.jsonl file; its `minister` is the label routing is scored
 * against. A question's `answers` are the keys of every document that answers it.
 *
 * Contract: {@link parseQuestionSet} is pure; {@link loadQuestionSet} reads the file once.
 * Both throw a ConfigError (CONFIG_INVALID) naming the file, the entry and the field for every
 * problem found (shape, unknown fields, duplicate question ids, an answer that is no document
 * of the set, an invalid minister id), so the command can exit 2 before anything is ingested.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describePath, issueMessage } from '../../config/file-issues.ts';
import { ConfigError } from '../../errors/pipeline-error.ts';
import { MINISTER_ID_PATTERN } from '../../stages/minister/ids.ts';

/** The bundled set, written for the bundled corpus. */
export const DEFAULT_QUESTION_SET = fileURLToPath(new URL('../../../eval/samples.json', import.meta.url));
/** The bundled corpus (`npm start` ingests it too). */
export const DEFAULT_CORPUS = fileURLToPath(new URL('../../../samples', import.meta.url));

const text = z.string().trim().min(1, 'must not be empty');

const setSchema = z.strictObject({
  corpus: text.optional(),
  about: z.string().optional(),
  documents: z.record(text, z.strictObject({
    minister: z.string().regex(MINISTER_ID_PATTERN, 'must be a minister id (lowercase letters, digits, "_" or "-")'),
  })),
  questions: z.array(z.strictObject({
    id: text,
    question: text,
    answers: z.array(text).min(1, 'needs at least one document key'),
  })).min(1, 'needs at least one question'),
});

export type QuestionSetFile = z.output<typeof setSchema>;

export interface Question {
  readonly id: string;
  readonly question: string;
  /** Keys of the documents that answer it (at least one, no repeats). */
  readonly answers: readonly string[];
}

export interface QuestionSet {
  /** Where the set came from (error messages, reports). */
  readonly source: string;
  /** The corpus the set was written for, as the file names it (informational). */
  readonly corpus?: string;
  /** Document key → the minister it belongs to. */
  readonly labels: ReadonlyMap<string, string>;
  readonly questions: readonly Question[];
}

/** Reads and validates a question set file. @throws ConfigError naming the file and the entry. */
export function loadQuestionSet(path: string): QuestionSet {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`eval set ${path} cannot be read (${(error as Error).message}): give a labelled question set with --set`);
  }
  return parseQuestionSet(content, path);
}

/** Validates the text of a question set. Pure. @throws ConfigError naming `source`, the entry and the field. */
export function parseQuestionSet(content: string, source: string): QuestionSet {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (error) {
    throw new ConfigError(`eval set ${source}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = setSchema.safeParse(raw);
  if (!parsed.success) {
    invalid(source, parsed.error.issues.map((issue) => `${describePath(raw, issue.path)}: ${issueMessage(issue, 'expected an object with "documents" and "questions"')}`));
  }
  const file = parsed.data;
  const problems: string[] = [];
  const seen = new Set<string>();
  file.questions.forEach((q, i) => {
    const where = `questions[${i}] (${q.id})`;
    if (seen.has(q.id)) problems.push(`${where}.id: "${q.id}" is used twice; question ids must be unique`);
    seen.add(q.id);
    q.answers.forEach((key, j) => {
      if (!Object.hasOwn(file.documents, key)) problems.push(`${where}.answers[${j}]: "${key}" is not a key of "documents"`);
      else if (q.answers.indexOf(key) !== j) problems.push(`${where}.answers[${j}]: "${key}" is listed twice`);
    });
  });
  if (problems.length) invalid(source, problems);
  return {
    source,
    ...(file.corpus !== undefined ? { corpus: file.corpus } : {}),
    labels: new Map(Object.entries(file.documents).map(([key, d]) => [key, d.minister])),
    questions: file.questions,
  };
}

/** At most ten problems in one message (a wholly wrong file would otherwise fill the screen). */
function invalid(source: string, problems: readonly string[]): never {
  const more = problems.length > 10 ? `; … and ${problems.length - 10} more` : '';
  throw new ConfigError(`eval set ${source}: ${problems.slice(0, 10).join('; ')}${more}`);
}
