/**
 * Where a problem is in a parsed configuration or data file, in words an operator can act on:
 * `ministers[2] (health).categories[1] (budget).keywords: is required`. Shared by the files
 * validated with zod (the ministers file, the eval question set). Pure.
 */
import type { z } from 'zod';

/**
 * Names where an issue is: an entry of a list by its index and, when it has one, its `id`
 * (`questions[3] (q04).answers[1]`). `list` names a top level that is itself a list.
 */
export function describePath(raw: unknown, path: readonly PropertyKey[], list = ''): string {
  let node: unknown = raw;
  let out = Array.isArray(raw) ? list : '';
  for (const key of path) {
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (typeof key === 'number') {
      const entryId = node !== null && typeof node === 'object' ? (node as { id?: unknown }).id : undefined;
      out += `[${key}]${typeof entryId === 'string' ? ` (${entryId})` : ''}`;
    } else {
      out += `${out ? '.' : ''}${String(key)}`;
    }
  }
  return out || '(top level)';
}

/** An issue's message without zod's boilerplate; `topLevel` replaces a wrong type of the whole file. */
export function issueMessage(issue: z.core.$ZodIssue, topLevel: string): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required';
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.path.length === 0) return topLevel;
  return issue.message.replace(/^Invalid input: /, '');
}
