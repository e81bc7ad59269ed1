/**
 * `era-ingest ministers export <dir>`: one folder per minister, from the database (DESIGN.md §7):
 *
 * ```
 * <dir>/<minister_id>/profile.json         id, name, description, entryCount, categories, centroid, files
 * <dir>/<minister_id>/<category>.jsonl     one line per current chunk: chunkId, docId, title, seq, text, headingPath
 * <dir>/<minister_id>/uncategorised.jsonl  chunks without a category
 * ```
 *
 * Only current document versions are exported (chunks joined to documents on content_hash, as
 * search does). Chunks are read in keyset pages over the primary key (`chunk_id > last ORDER BY
 * chunk_id LIMIT pageSize`), so memory stays bounded by one page and the whole export is one
 * pass over the index (pending chunks are read and skipped); lines within a file are therefore
 * in chunk-id order.
 *
 * File names. A minister id must be path-safe (`^[a-z0-9][a-z0-9_-]{0,63}$`); ministers whose id
 * is not are skipped and reported. A category that is path-safe by the same rule names its file
 * as it is; any other category (and the literal names `uncategorised`, `con`, `nul`, `aux`, `prn`,
 * `comN`, `lptN`) gets `<slug>~<hash>.jsonl`: the slug is the category lowercased, with every
 * run of characters outside `[a-z0-9_-]` replaced by `-`, trimmed and cut to 48 characters
 * (`category` when nothing is left), and the hash is the first 10 hex digits of the SHA-256 of
 * the category. `~` never occurs in a path-safe name, so the two kinds cannot collide;
 * profile.json `files` maps every category to its file.
 *
 * The export is written to a staging folder inside `<dir>` and each minister's folder is moved
 * into place at the end, replacing the folder of an earlier export (one holding profile.json);
 * any other existing folder of that name stops the export before anything is replaced. Folders
 * of ministers that no longer exist are left alone. Writes made during the export may or may not
 * be included (no snapshot is held), so `entryCount` can differ from the lines written then.
 */
import { createHash } from 'node:crypto';
import { access, appendFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readMinisterAggregates, type MinisterAggregate } from './ministers.ts';
import type { SqlClient } from './sql-client.ts';

export interface MinistersExportOptions {
  /** Chunks read per query. @defaultValue 1000 */
  pageSize?: number;
}

export interface MinistersExportSummary {
  /** Absolute path of the export. */
  dir: string;
  ministers: number;
  /** Files written: profile.json files plus category files. */
  files: number;
  /** Chunk lines written. */
  entries: number;
  /** Current chunks not written because their minister was skipped (or has no ministers row). */
  skippedEntries: number;
  /** Ministers not exported, with the reason. */
  skipped: Array<{ ministerId: string; reason: string }>;
}

export const PATH_SAFE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const UNCATEGORISED = 'uncategorised';
const RESERVED = /^(uncategorised|con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** The file (in a minister's folder) holding a category's chunks; see the module comment. */
export function categoryFileName(category: string | null): string {
  if (category === null) return `${UNCATEGORISED}.jsonl`;
  if (PATH_SAFE_ID.test(category) && !RESERVED.test(category)) return `${category}.jsonl`;
  const slug = category.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+|-+$/g, '').slice(0, 48).replace(/-+$/, '') || 'category';
  return `${slug}~${createHash('sha256').update(category, 'utf8').digest('hex').slice(0, 10)}.jsonl`;
}

export interface ChunkRow {
  chunk_id: string;
  doc_id: string;
  title: string | null;
  seq: number;
  text: string;
  heading_path: string[] | null;
  minister_id: string;
  category: string | null;
  current: boolean;
}

/**
 * One page of chunks after `$1` by chunk id, current or not: the inner query walks the primary
 * key alone (joined in the same query level, the planner misestimates the join and sorts the
 * whole table for every page); the outer join marks chunks of current versions. Paging on every
 * chunk, not only current ones, keeps a page of pending chunks from ending the export early.
 */
const PAGE_SQL = `SELECT c.chunk_id, c.doc_id, d.title, c.seq, c.text, c.heading_path, c.minister_id, c.category,
       d.doc_id IS NOT NULL AS current
FROM (
  SELECT chunk_id, doc_id, content_hash, seq, text, heading_path, minister_id, category
  FROM chunks
  WHERE chunk_id > $1::text
  ORDER BY chunk_id
  LIMIT $2::int
) c
LEFT JOIN documents d ON d.doc_id = c.doc_id AND d.content_hash = c.content_hash
ORDER BY c.chunk_id`;

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** One line of a category file. */
export function entryLine(r: ChunkRow): { chunkId: string; docId: string; title: string | null; seq: number; text: string; headingPath: string[] } {
  return { chunkId: r.chunk_id, docId: r.doc_id, title: r.title, seq: Number(r.seq), text: r.text, headingPath: r.heading_path ?? [] };
}

/** The current chunks in keyset pages of `pageSize` (see the file's contract), pending ones left out. */
export async function* currentEntryPages(client: SqlClient, pageSize = 1000): AsyncGenerator<ChunkRow[]> {
  for (let after = ''; ;) {
    const { rows } = await client.query<ChunkRow>(PAGE_SQL, [after, pageSize]);
    if (rows.length === 0) return;
    yield rows.filter((r) => r.current);
    after = rows.at(-1)!.chunk_id;
    if (rows.length < pageSize) return;
  }
}

/**
 * Writes the export into `dir` (created when missing).
 * @throws Error when a minister's target folder exists and is not an earlier export.
 * @throws DependencyError / SqlError from the client.
 */
export async function exportMinisters(client: SqlClient, dir: string, { pageSize = 1000 }: MinistersExportOptions = {}): Promise<MinistersExportSummary> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`exportMinisters: pageSize must be a positive integer, got ${pageSize}`);
  const root = resolve(dir);
  const skipped: MinistersExportSummary['skipped'] = [];
  const ministers = new Map<string, MinisterAggregate>();
  for (const m of await readMinisterAggregates(client)) {
    if (PATH_SAFE_ID.test(m.ministerId)) ministers.set(m.ministerId, m);
    else skipped.push({ ministerId: m.ministerId, reason: 'id is not path-safe ([a-z0-9][a-z0-9_-]{0,63})' });
  }
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, '.era-export-'));
  try {
    for (const id of ministers.keys()) await mkdir(join(staging, id));
    /** minister → category → file name, for the files written. */
    const files = new Map<string, Map<string | null, string>>();
    let entries = 0;
    let unrouted = 0;
    for await (const rows of currentEntryPages(client, pageSize)) {
      const lines = new Map<string, string[]>();
      for (const r of rows) {
        if (!ministers.has(r.minister_id)) {
          unrouted += 1;
          continue;
        }
        const byCategory = files.get(r.minister_id) ?? new Map<string | null, string>();
        files.set(r.minister_id, byCategory);
        const file = byCategory.get(r.category) ?? categoryFileName(r.category);
        byCategory.set(r.category, file);
        const path = join(staging, r.minister_id, file);
        const line = JSON.stringify(entryLine(r));
        const pending = lines.get(path);
        if (pending) pending.push(line);
        else lines.set(path, [line]);
        entries += 1;
      }
      for (const [path, text] of lines) await appendFile(path, `${text.join('\n')}\n`);
    }
    for (const [id, m] of ministers) {
      const byCategory = files.get(id) ?? new Map<string | null, string>();
      const profile = {
        id, name: m.name, description: m.description, entryCount: m.entryCount, categories: m.categories,
        centroid: m.centroid === null ? null : Array.from(m.centroid),
        files: Object.fromEntries([...byCategory].map(([category, file]) => [category ?? UNCATEGORISED, file])),
      };
      await writeFile(join(staging, id, 'profile.json'), `${JSON.stringify(profile, null, 2)}\n`);
    }
    // Check every target before replacing any, so a refusal leaves <dir> as it was.
    for (const id of ministers.keys()) {
      const target = join(root, id);
      if (await exists(target) && !(await exists(join(target, 'profile.json')))) {
        throw new Error(`${target} exists and is not an earlier minister export (no profile.json): move it away or export to another folder`);
      }
    }
    for (const id of ministers.keys()) {
      const target = join(root, id);
      await rm(target, { recursive: true, force: true });
      await rename(join(staging, id), target);
    }
    const categoryFiles = [...files.values()].reduce((n, m) => n + m.size, 0);
    return { dir: root, ministers: ministers.size, files: ministers.size + categoryFiles, entries, skippedEntries: unrouted, skipped };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
