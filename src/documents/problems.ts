/**
 * Why a file (or a folder entry) was not ingested, as `run` and `publish` report it: a stable
 * code, a reason for people, and whether it was skipped or failed.
 *
 * - **skipped**: the entry is not for us and nothing is wrong with it — a file of a type no
 *   reader handles, found while walking a folder (`UNSUPPORTED_TYPE`), or a hidden entry or
 *   `node_modules` (`HIDDEN`), or a link back to a folder being read (`LINK_LOOP`). Exit 0
 *   unless `--strict`.
 * - **failed**: a file we should ingest but could not — over the size limit, binary content in a
 *   text type, a PDF/DOCX/HTML/JSON that does not parse, no text, unreadable, an invalid raw
 *   document, or a file of an unsupported type named on the command line. Exit 1.
 */

export type FileProblemCode =
  | 'UNSUPPORTED_TYPE'
  | 'HIDDEN'
  | 'TOO_LARGE'
  | 'BINARY'
  | 'PARSE_FAILED'
  | 'EMPTY_DOCUMENT'
  | 'UNREADABLE'
  | 'INVALID_DOCUMENT'
  | 'LINK_LOOP';

/** What a reader throws for a file it cannot turn into a document. */
export class FileProblem extends Error {
  constructor(readonly code: FileProblemCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileProblem';
  }
}

/** One line of a summary's `skipped` or `failures` list. */
export interface FileReport {
  /** The file as the user would find it: its path relative to the working directory, `:line` for a JSON line. */
  origin: string;
  code: FileProblemCode;
  reason: string;
}

/** The lists of a summary, in the order the files were read. */
export interface FileReports {
  /** Not for us (exit 0 unless --strict). */
  skipped: FileReport[];
  /** Should have been ingested and was not (exit 1). */
  failures: FileReport[];
}

/** The reason of a file-system error, e.g. `cannot read: EACCES`. */
export const fsReason = (verb: string, error: unknown): string => `cannot ${verb}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
