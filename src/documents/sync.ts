/**
 * `--sync` bookkeeping: which documents of the roots just read are gone. Pure; fed while the
 * files are read, asked once at the end with the documents the store (or era.raw) holds.
 *
 * A stored document is **stale**, and is deleted, when all of these hold:
 * - it belongs to a root read in this run (its `source` is the root's URL or below it, ./ids.ts);
 * - no file of this run gave its id (its file is gone, renamed, or now gives another id: a new
 *   `--id-prefix`, a JSON line whose id changed);
 * - its `source` is not a file or folder that failed in this run (a file that exists but could
 *   not be read or parsed keeps its stored version: a failure is no proof that it is gone).
 *
 * A root that could not be opened is no root (nothing below it is deleted); a root that is an
 * empty folder is one (everything below it is deleted). Call `stale` only after every file was
 * read: an interrupted read must delete nothing.
 */
import type { FileItem } from './files.ts';
import { isUnder, type Root } from './ids.ts';

export interface StoredDocument {
  id: string;
  source: string | null;
}

export class SyncTracker {
  readonly roots: Root[] = [];
  private readonly read = new Set<string>();
  private readonly failed: string[] = [];

  addRoot(root: Root): void {
    this.roots.push(root);
  }

  /** Every item the reader yields, in any order. */
  note(item: FileItem): void {
    if (item.kind === 'document') this.read.add(item.doc.id);
    else if (item.kind === 'failure' && item.url) this.failed.push(item.url);
  }

  /** URLs of the roots: the documents to look up are those whose source is one of them or below. */
  rootUrls(): string[] {
    return this.roots.map((r) => r.url);
  }

  /** The stale documents among `stored`, in id order. */
  stale(stored: Iterable<StoredDocument>): StoredDocument[] {
    const out: StoredDocument[] = [];
    for (const doc of stored) {
      if (this.read.has(doc.id)) continue;
      if (!this.roots.some((r) => isUnder(doc.source, r.url))) continue;
      if (this.failed.some((url) => isUnder(doc.source, url))) continue;
      out.push(doc);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
