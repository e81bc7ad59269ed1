/**
 * Documents from files and folders, for `run` and `publish` (the one reader both use). Every
 * path yields documents, or a report of why a file was skipped or failed
 * (./problems.ts); a bad file never stops the others, and nothing here throws for a file.
 *
 * - Types (./formats/index.ts): `.md`, `.markdown`, `.txt` as text; `.pdf`, `.html`/`.htm`,
 *   `.docx` converted to Markdown-like text with headings (./formats/). Every file's document
 *   gets a `contentType`: `text/plain` for `.txt` (its `#` lines are not headings),
 *   `text/markdown` for the others; `.json` one raw-format
 *   document (DESIGN.md §3) or an array of them; `.jsonl` one per line (a bad line fails alone).
 * - Ids and `source`: ./ids.ts (relative to the root named, `--id-prefix`; a JSON document keeps
 *   its id and gets the file's URL as `source` when it names none).
 * - Titles: the document's own (PDF Title, the page's heading), else the first Markdown heading of
 *   a Markdown file, else the file name without its extension.
 * - Limits: a text or JSON file over MAX_DOCUMENT_BYTES, a PDF/DOCX/HTML file over MAX_FILE_BYTES
 *   (checked from its size, before reading it), and any document whose JSON is over
 *   MAX_DOCUMENT_BYTES fail with TOO_LARGE.
 */
import { open, stat } from 'node:fs/promises';
import { basename, extname, relative, resolve, sep } from 'node:path';
import { PipelineError } from '../errors/pipeline-error.ts';
import type { ContentType } from '../topics/content-type.ts';
import type { RawDocument } from '../topics/messages.ts';
import { rawLimits, validateRawDocument, DEFAULT_RAW_LIMITS, type RawLimits } from '../topics/raw-document.ts';
import { CONVERTED, FORMATS, READERS, type FormatName } from './formats/index.ts';
import { textOf } from './formats/text.ts';
import { fileDocumentId, fileUrl, makeRoot, type Root } from './ids.ts';
import { FileProblem, fsReason, type FileProblemCode } from './problems.ts';
import { walk } from './walk.ts';

/** `url`: the `file:` URL of the file (or folder) the item is about; absent for stdin. */
export type FileItem =
  | { kind: 'document'; doc: RawDocument; origin: string; url?: string }
  | { kind: 'skipped'; origin: string; code: FileProblemCode; reason: string; url?: string }
  | { kind: 'failure'; origin: string; code: FileProblemCode; reason: string; url?: string };

export interface ReadOptions {
  /** MAX_DOCUMENT_BYTES and the other raw-document limits. @defaultValue DEFAULT_RAW_LIMITS */
  limits?: RawLimits;
  /** Largest PDF/DOCX/HTML file read, bytes (MAX_FILE_BYTES). @defaultValue 4 × limits.maxBytes */
  maxFileBytes?: number;
  /** Put before the id of every file (not of JSON documents). @defaultValue '' */
  idPrefix?: string;
  /** Where relative paths start, and what origins are shown relative to. @defaultValue process.cwd() */
  cwd?: string;
  /** Called with each root that exists, before its first item (for --sync). */
  onRoot?: (root: Root) => void;
  /** Called as each file of a supported type is begun, before its items (progress). */
  onFile?: (path: string) => void;
}

type Failure = Extract<FileItem, { kind: 'failure' }>;

const failure = (origin: string, code: FileProblemCode, reason: string, url?: string): Failure => ({ kind: 'failure', origin, code, reason, ...(url ? { url } : {}) });

function problemOf(error: unknown, origin: string, url?: string): Failure {
  if (error instanceof FileProblem) return failure(origin, error.code, error.message, url);
  if (error instanceof PipelineError) return failure(origin, error.code === 'EMPTY_DOCUMENT' ? 'EMPTY_DOCUMENT' : 'INVALID_DOCUMENT', error.message, url);
  return failure(origin, 'PARSE_FAILED', (error as Error).message, url);
}

const fileTitle = (file: string): string => basename(file, extname(file));

function titleOf(text: string, file: string, contentType: ContentType): string {
  const heading = contentType === 'text/markdown' ? /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text) : null;
  return heading?.[1] ?? fileTitle(file);
}

/** A validated document, or TOO_LARGE when its JSON is over the limit. @throws PipelineError (invalid). */
function checked(value: unknown, limits: RawLimits): RawDocument {
  const doc = validateRawDocument(value, undefined, limits);
  const bytes = Buffer.byteLength(JSON.stringify(doc));
  if (bytes > limits.maxBytes) throw new FileProblem('TOO_LARGE', `the document is ${bytes} bytes as JSON, over the limit of ${limits.maxBytes} bytes (MAX_DOCUMENT_BYTES)`);
  return doc;
}

async function readBytes(file: string, size: number, limit: number, setting: string): Promise<Buffer> {
  if (size > limit) throw new FileProblem('TOO_LARGE', `file is ${size} bytes, over the limit of ${limit} bytes (${setting})`);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new FileProblem('UNREADABLE', fsReason('read', error), { cause: error });
  }
  try {
    const { size: now } = await handle.stat(); // it may have grown since the walk
    if (now > limit) throw new FileProblem('TOO_LARGE', `file is ${now} bytes, over the limit of ${limit} bytes (${setting})`);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof FileProblem) throw error;
    throw new FileProblem('UNREADABLE', fsReason('read', error), { cause: error });
  } finally {
    await handle.close();
  }
}

/** The documents of one file of a one-document format. */
async function readOne(root: Root, file: string, format: Exclude<FormatName, 'json' | 'jsonl'>, bytes: Buffer, options: Required<Pick<ReadOptions, 'limits' | 'idPrefix'>>): Promise<RawDocument> {
  const extracted = await READERS[format](bytes, file);
  const title = extracted.title ?? (format === 'text' ? titleOf(extracted.text, file, extracted.contentType) : fileTitle(file));
  return checked({
    id: fileDocumentId(root, file, options.idPrefix), text: extracted.text, title: title.slice(0, 200), source: fileUrl(file), contentType: extracted.contentType,
    ...(extracted.metadata ? { metadata: extracted.metadata } : {}),
  }, options.limits);
}

/** Reads every path; yields documents and reports in path order. */
export async function* readDocuments(paths: readonly string[], options: ReadOptions = {}): AsyncGenerator<FileItem> {
  const { limits = DEFAULT_RAW_LIMITS, idPrefix = '', cwd = process.cwd(), onRoot, onFile } = options;
  const maxFileBytes = options.maxFileBytes ?? 4 * limits.maxBytes;
  const originOf = (path: string): string => relative(cwd, path).split(sep).join('/') || basename(path);
  for (const path of paths) {
    const named = resolve(cwd, path);
    const info = await stat(named).catch(() => undefined);
    // A folder, or a file of a type we read: a root (an empty folder is one too, for --sync).
    const root = info?.isDirectory() ? makeRoot(named, 'folder') : info?.isFile() && FORMATS[extname(named).toLowerCase()] ? makeRoot(named, 'file') : undefined;
    if (root) onRoot?.(root);
    for await (const entry of walk(named)) {
      const origin = originOf(entry.path);
      if (entry.kind !== 'file') {
        yield { kind: entry.kind, origin: entry.folder ? `${origin}/` : origin, code: entry.code, reason: entry.reason, url: fileUrl(entry.path) };
        continue;
      }
      onFile?.(entry.path);
      const url = fileUrl(entry.path);
      let bytes: Buffer;
      try {
        bytes = await readBytes(entry.path, entry.size, CONVERTED.has(entry.format) ? maxFileBytes : limits.maxBytes, CONVERTED.has(entry.format) ? 'MAX_FILE_BYTES' : 'MAX_DOCUMENT_BYTES');
      } catch (error) {
        yield problemOf(error, origin, url);
        continue;
      }
      if (entry.format === 'json' || entry.format === 'jsonl') {
        yield* readJsonFile(bytes, entry.format, origin, url, limits);
        continue;
      }
      try {
        yield { kind: 'document', origin, url, doc: await readOne(root!, entry.path, entry.format, bytes, { limits, idPrefix }) };
      } catch (error) {
        yield problemOf(error, origin, url);
      }
    }
  }
}

/**
 * The files `readDocuments` will read (of a supported type, not hidden), counted by the same
 * walk without reading them: for a progress total.
 */
export async function countFiles(paths: readonly string[], cwd: string = process.cwd()): Promise<number> {
  let files = 0;
  for (const path of paths) {
    for await (const entry of walk(resolve(cwd, path))) if (entry.kind === 'file') files += 1;
  }
  return files;
}

function* readJsonFile(bytes: Buffer, format: 'json' | 'jsonl', origin: string, url: string, limits: RawLimits): Generator<FileItem> {
  let text: string;
  try {
    text = textOf(bytes);
  } catch (error) {
    yield problemOf(error, origin, url);
    return;
  }
  if (format === 'jsonl') {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '') yield parseJsonDocument(lines[i]!, `${origin}:${i + 1}`, limits, url);
    }
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    yield failure(origin, 'PARSE_FAILED', `invalid JSON: ${(error as Error).message}`, url);
    return;
  }
  const values = Array.isArray(value) ? value : [value];
  for (let i = 0; i < values.length; i++) yield validated(values[i], Array.isArray(value) ? `${origin}[${i}]` : origin, limits, url);
}

/** A JSON document read from a file gets the file's URL as `source` when it names none. */
function withSource(value: unknown, url: string | undefined): unknown {
  if (url === undefined || typeof value !== 'object' || value === null || Array.isArray(value) || 'source' in value) return value;
  return { ...value, source: url };
}

function validated(value: unknown, origin: string, limits: RawLimits, url?: string): FileItem {
  try {
    return { kind: 'document', origin, doc: checked(withSource(value, url), limits), ...(url ? { url } : {}) };
  } catch (error) {
    return problemOf(error, origin, url);
  }
}

/** One JSON line in the raw format (a line of a .jsonl file at `url`, or of stdin). */
export function parseJsonDocument(line: string, origin: string, limits: RawLimits = DEFAULT_RAW_LIMITS, url?: string): FileItem {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return failure(origin, 'PARSE_FAILED', `invalid JSON: ${(error as Error).message}`, url);
  }
  return validated(value, origin, limits, url);
}

/** The reader's options from the configuration (MAX_DOCUMENT_BYTES, MAX_FILE_BYTES) and `--id-prefix`. */
export function readOptionsFrom(config: { maxDocumentBytes: number; maxFileBytes?: number | undefined }, idPrefix?: string): ReadOptions {
  return {
    limits: rawLimits(config),
    ...(config.maxFileBytes !== undefined ? { maxFileBytes: config.maxFileBytes } : {}),
    ...(idPrefix ? { idPrefix } : {}),
  };
}
