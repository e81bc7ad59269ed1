/**
 * The ministers file (DESIGN.md §7): the configured per-domain knowledge bases, each with an
 * id, name, description, keywords and categories. JSON or YAML, same shape:
 *
 * ```yaml
 * ministers:
 *   - id: finance
 *     name: Finance
 *     description: Public finances, the budget and taxation.
 *     keywords: [budget, tax, treasury]
 *     categories:
 *       - { id: budget, name: Budget, keywords: [budget, spending] }
 * ```
 *
 * A bare top-level list of ministers is accepted too. The fallback minister `general` is added
 * when the file does not define it. Every problem throws a ConfigError naming the file, the
 * entry and the field.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { describePath, issueMessage } from '../../config/file-issues.ts';
import { ConfigError } from '../../errors/pipeline-error.ts';
import { GENERAL_MINISTER_ID, MINISTER_ID_PATTERN } from './ids.ts';

export { GENERAL_MINISTER_ID, MINISTER_ID_PATTERN };

/** The bundled default set, used when MINISTERS_FILE is unset. */
export const DEFAULT_MINISTERS_FILE = fileURLToPath(new URL('../../../config/ministers.yaml', import.meta.url));

const id = z
  .string()
  .regex(MINISTER_ID_PATTERN, 'must be lowercase letters, digits, "_" or "-" (starting with a letter or digit, at most 64 characters)');
const text = z.string().trim().min(1, 'must not be empty');
const keywords = z.array(text).min(1, 'needs at least one keyword');

const categorySchema = z.strictObject({ id, name: text, keywords });

const ministerSchema = z.strictObject({
  id,
  name: text,
  description: text,
  keywords,
  categories: z.array(categorySchema).default([]),
});

const TOP_LEVEL = 'expected an object with a "ministers" list, or a list of ministers';

const fileSchema = z.union([z.strictObject({ ministers: z.array(ministerSchema) }), z.array(ministerSchema)]);

/** A category of a minister: the nearest one is assigned to chunks without an explicit category. */
export type MinisterCategory = z.output<typeof categorySchema>;

/** One configured minister (a domain knowledge base). */
export type Minister = z.output<typeof ministerSchema>;

/** The `general` entry added when a file does not define one (a fresh object per call). */
export function generalMinister(): Minister {
  return { id: GENERAL_MINISTER_ID, name: 'General', description: 'Everything that does not belong to a specific minister.', keywords: ['general'], categories: [] };
}

/**
 * Reads and validates a ministers file. Synchronous: called once at stage start.
 *
 * @param path - JSON or YAML file; empty or undefined means the default (an empty MINISTERS_FILE
 *   counts as unset). @defaultValue the bundled `config/ministers.yaml`
 * @throws ConfigError when the file cannot be read, parsed or validated; the message names the
 *   file, the entry (index and id) and the field.
 */
export function loadMinistersFile(path?: string): Minister[] {
  path ||= DEFAULT_MINISTERS_FILE;
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`ministers file ${path} cannot be read (${why}). Set MINISTERS_FILE to a readable JSON or YAML file, or unset it to use the bundled default.`);
  }
  return parseMinisters(content, path);
}

/**
 * Parses and validates the text of a ministers file. Pure.
 *
 * The format comes from `sourceName`'s extension (`.json`, `.yaml`, `.yml`); otherwise text
 * starting with `{` or `[` is JSON and anything else YAML.
 *
 * @param sourceName - file name used in error messages and to pick the format.
 * @returns the ministers in file order, with `general` appended if the file has none.
 * @throws ConfigError naming the file, the entry and the field.
 */
export function parseMinisters(content: string, sourceName: string): Minister[] {
  const raw = decode(content, sourceName);
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = pickIssues(parsed.error.issues).map((issue) => `${describePath(raw, issue.path, 'ministers')}: ${issueMessage(issue, TOP_LEVEL)}`);
    invalid(sourceName, problems.join('; '));
  }
  const ministers = Array.isArray(parsed.data) ? parsed.data : parsed.data.ministers;
  checkUnique(sourceName, ministers.map((m) => m.id), (dup, i) => `ministers[${i}]: id "${dup}" is used twice; minister ids must be unique`);
  ministers.forEach((m, i) =>
    checkUnique(sourceName, m.categories.map((c) => c.id), (dup, j) => `ministers[${i}] (${m.id}).categories[${j}]: id "${dup}" is used twice in this minister; category ids must be unique`),
  );
  return ministers.some((m) => m.id === GENERAL_MINISTER_ID) ? ministers : [...ministers, generalMinister()];
}

function invalid(sourceName: string, message: string): never {
  throw new ConfigError(`ministers file ${sourceName}: ${message}`);
}

function decode(content: string, sourceName: string): unknown {
  const ext = /\.([a-z]+)$/i.exec(sourceName)?.[1]?.toLowerCase();
  const json = ext === 'json' || (ext !== 'yaml' && ext !== 'yml' && /^\s*[[{]/.test(content));
  if (json) {
    try {
      return JSON.parse(content) as unknown;
    } catch (error) {
      return invalid(sourceName, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const doc = parseDocument(content, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) invalid(sourceName, `not valid YAML (${first.message.split('\n')[0]})`);
  return doc.toJS() as unknown;
}

/** A union reports each branch; show the branch the input was meant for (object vs list). */
function pickIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      out.push(...pickIssues(best));
    } else {
      out.push(issue);
    }
  }
  return out.length ? out : [...issues];
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

function checkUnique(sourceName: string, ids: readonly string[], message: (dup: string, index: number) => string): void {
  const seen = new Set<string>();
  ids.forEach((x, i) => {
    if (seen.has(x)) invalid(sourceName, message(x, i));
    seen.add(x);
  });
}
