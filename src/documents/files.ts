/**
 * Documents from files and folders, for embedded mode. Every path yields documents or a
 * failure with a reason; a bad file never stops the others.
 *
 * - `.md`, `.markdown`, `.txt`: one document; id = the path relative to the working directory
 *   (with `/`); `contentType` from the extension (`text/markdown` for `.md`/`.markdown`,
 *   `text/plain` for `.txt`, whose `#` lines are not headings); title = the first Markdown
 *   heading of a Markdown file, else the file name.
 * - `.json`: one document in the raw format (DESIGN.md §3), or an array of them.
 * - `.jsonl`: one raw-format document per line; a bad line is a failure of that line only.
 * - Folders are walked recursively in name order; hidden entries and node_modules are skipped,
 *   and so are files of other types. A file of another type named explicitly is a failure.
 * - Rejected: files over `maxBytes`, binary files (a NUL byte, or not UTF-8), unreadable files.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, extname, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PipelineError } from '../errors/pipeline-error.ts';
import { contentTypeOfExtension, type ContentType } from '../topics/content-type.ts';
import type { RawDocument } from '../topics/messages.ts';
import { decodeUtf8, validateRawDocument, DEFAULT_RAW_LIMITS, type RawLimits } from '../topics/raw-document.ts';

export type FileItem = { kind: 'document'; doc: RawDocument; origin: string } | { kind: 'failure'; origin: string; reason: string };

const TEXT_TYPES = new Set(['.md', '.markdown', '.txt']);
const JSON_TYPES = new Set(['.json', '.jsonl']);

const reasonOf = (error: unknown): string => (error instanceof PipelineError ? `${error.code}: ${error.message}` : (error as Error).message);

async function* walk(path: string, explicit: boolean): AsyncGenerator<{ file: string } | { failure: string; file: string }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    yield { file: path, failure: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    return;
  }
  if (info.isDirectory()) {
    let entries: string[];
    try {
      entries = (await readdir(path)).sort();
    } catch (error) {
      yield { file: path, failure: `cannot list: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.') || entry === 'node_modules') continue;
      yield* walk(`${path}${sep}${entry}`, false);
    }
  } else if (info.isFile()) {
    const type = extname(path).toLowerCase();
    if (TEXT_TYPES.has(type) || JSON_TYPES.has(type)) yield { file: path };
    else if (explicit) yield { file: path, failure: `unsupported file type "${type || '(none)'}": use .md, .txt, .json or .jsonl` };
  }
}

async function readText(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new Error(`file is ${size} bytes, over the limit of ${maxBytes} bytes (MAX_DOCUMENT_BYTES)`);
    const bytes = await handle.readFile();
    if (bytes.subarray(0, 8192).includes(0)) throw new Error('binary file (contains NUL bytes)');
    return decodeUtf8(bytes, 'file');
  } finally {
    await handle.close();
  }
}

function titleOf(text: string, file: string, contentType: ContentType): string {
  const heading = contentType === 'text/markdown' ? /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text) : null;
  return (heading?.[1] ?? basename(file, extname(file))).slice(0, 200);
}

/** Reads every path; yields documents and failures in path order. */
export async function* readDocuments(paths: readonly string[], limits: RawLimits = DEFAULT_RAW_LIMITS, cwd = process.cwd()): AsyncGenerator<FileItem> {
  for (const path of paths) {
    for await (const entry of walk(resolve(cwd, path), true)) {
      const origin = relative(cwd, entry.file).split(sep).join('/') || basename(entry.file);
      if ('failure' in entry) {
        yield { kind: 'failure', origin, reason: entry.failure };
        continue;
      }
      let text: string;
      try {
        text = await readText(entry.file, limits.maxBytes);
      } catch (error) {
        yield { kind: 'failure', origin, reason: reasonOf(error) };
        continue;
      }
      const type = extname(entry.file).toLowerCase();
      if (TEXT_TYPES.has(type)) {
        const contentType = contentTypeOfExtension(type);
        try {
          const fields = { id: origin, text, title: titleOf(text, entry.file, contentType), source: pathToFileURL(entry.file).href, contentType };
          yield { kind: 'document', origin, doc: validateRawDocument(fields, undefined, limits) };
        } catch (error) {
          yield { kind: 'failure', origin, reason: reasonOf(error) };
        }
      } else if (type === '.jsonl') {
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) {
          if (lines[i]!.trim() === '') continue;
          yield parseJsonDocument(lines[i]!, `${origin}:${i + 1}`, limits);
        }
      } else {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          yield { kind: 'failure', origin, reason: `invalid JSON: ${(error as Error).message}` };
          continue;
        }
        const values = Array.isArray(value) ? value : [value];
        for (let i = 0; i < values.length; i++) yield validated(values[i], Array.isArray(value) ? `${origin}[${i}]` : origin, limits);
      }
    }
  }
}

function validated(value: unknown, origin: string, limits: RawLimits): FileItem {
  try {
    return { kind: 'document', origin, doc: validateRawDocument(value, undefined, limits) };
  } catch (error) {
    return { kind: 'failure', origin, reason: reasonOf(error) };
  }
}

/** One JSON line in the raw format. */
export function parseJsonDocument(line: string, origin: string, limits: RawLimits = DEFAULT_RAW_LIMITS): FileItem {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { kind: 'failure', origin, reason: `invalid JSON: ${(error as Error).message}` };
  }
  return validated(value, origin, limits);
}
