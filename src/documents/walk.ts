/**
 * The files of a root, in name order, each with its format, or why it is passed over. Hidden
 * entries (`.git`, `.DS_Store`) and `node_modules` are reported once each and not entered; a
 * link back to a folder being walked is reported and not followed. Never throws: a folder that
 * cannot be listed is one failure, its siblings are still walked.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, sep } from 'node:path';
import { FORMATS, SUPPORTED_TYPES, type FormatName } from './formats/index.ts';
import { fsReason, type FileProblemCode } from './problems.ts';

export type WalkEntry =
  | { kind: 'file'; path: string; format: FormatName; size: number }
  | { kind: 'skipped' | 'failure'; path: string; code: FileProblemCode; reason: string; folder: boolean };

const unsupported = (type: string): string => `unsupported file type "${type || '(none)'}": era-ingest reads ${SUPPORTED_TYPES}`;

/** Walks `path`; `named` = the path was named by the user (not found in a folder). */
export async function* walk(path: string, named = true, ancestors: ReadonlySet<string> = new Set()): AsyncGenerator<WalkEntry> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    yield { kind: 'failure', path, code: 'UNREADABLE', reason: fsReason('read', error), folder: false };
    return;
  }
  if (info.isDirectory()) {
    let real: string;
    let entries: string[];
    try {
      real = await realpath(path);
      entries = (await readdir(path)).sort();
    } catch (error) {
      yield { kind: 'failure', path, code: 'UNREADABLE', reason: fsReason('list', error), folder: true };
      return;
    }
    if (ancestors.has(real)) {
      yield { kind: 'skipped', path, code: 'LINK_LOOP', reason: 'a link to a folder above it, already being read', folder: true };
      return;
    }
    const within = new Set(ancestors).add(real);
    for (const entry of entries) {
      const child = `${path}${sep}${entry}`;
      if (entry.startsWith('.') || entry === 'node_modules') {
        const folder = (await stat(child).catch(() => undefined))?.isDirectory() ?? false;
        yield { kind: 'skipped', path: child, code: 'HIDDEN', reason: entry === 'node_modules' ? 'node_modules is not read' : 'hidden entries are not read', folder };
        continue;
      }
      yield* walk(child, false, within);
    }
    return;
  }
  const type = extname(path).toLowerCase();
  const format = info.isFile() ? FORMATS[type] : undefined;
  if (format) yield { kind: 'file', path, format, size: info.size };
  else if (!info.isFile()) yield { kind: named ? 'failure' : 'skipped', path, code: 'UNSUPPORTED_TYPE', reason: 'not a regular file', folder: false };
  else yield { kind: named ? 'failure' : 'skipped', path, code: 'UNSUPPORTED_TYPE', reason: unsupported(type), folder: false };
}
