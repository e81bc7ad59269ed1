/**
 * Document ids of files, and which documents belong to a root (a contract: README "Ingesting a
 * folder"). Pure: no file system.
 *
 * - A **root** is a path named to `run`/`publish`. A file's id is `--id-prefix` + its path
 *   relative to its root, with `/` separators, Unicode NFC: `run samples` gives
 *   `samples/finance/x.md` the id `finance/x.md`, whatever the working directory. A file named on
 *   its own is its own root: its id is its base name (`run samples/finance/x.md` → `x.md`).
 * - A document read from a `.json`/`.jsonl` file keeps the `id` it names (no prefix).
 * - Every document read from a file records the file's URL (`file:///abs/path`) in `source`
 *   (a JSON document that names its own `source` keeps it). A document **belongs to** a root
 *   when its `source` is the root's URL or lies below it: that is how `--sync` finds the stored
 *   documents of a root whose files are gone, in PostgreSQL and in era.raw alike.
 */
import { basename, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Root {
  /** Absolute path of the folder or file named. */
  path: string;
  kind: 'folder' | 'file';
  /** `file:` URL of `path`. */
  url: string;
}

export const fileUrl = (absolutePath: string): string => pathToFileURL(absolutePath).href;

export function makeRoot(absolutePath: string, kind: Root['kind']): Root {
  return { path: absolutePath, kind, url: fileUrl(absolutePath) };
}

/** The id of `file` (absolute, inside `root`). */
export function fileDocumentId(root: Root, file: string, idPrefix = ''): string {
  const rel = root.kind === 'file' ? basename(file) : relative(root.path, file).split(sep).join('/');
  return `${idPrefix}${rel}`.normalize('NFC');
}

/** Whether `source` is `url` or lies below it (`url` a file: or other URL, with or without a trailing `/`). */
export function isUnder(source: string | null | undefined, url: string): boolean {
  if (!source) return false;
  if (source === url) return true;
  return source.startsWith(url.endsWith('/') ? url : `${url}/`);
}
