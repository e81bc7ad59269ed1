import type { ContentType } from '../../topics/content-type.ts';

/** What a format reader makes of one file: the document's text and what it knows beside it. */
export interface Extracted {
  /** The text: Markdown-like (headings as `#` lines, so the chunker's heading path works), or plain. */
  text: string;
  /** How `text` is written: the chunker looks for headings only in Markdown. */
  contentType: ContentType;
  /** The document's own title (a PDF's Title, an HTML page's heading), when it has one. */
  title?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Reads one file's bytes into a document. Called once per file, never concurrently with itself
 * for the same file; may take the CPU for a while (a large PDF) but holds no resources after it
 * settles. @throws FileProblem (BINARY, PARSE_FAILED, EMPTY_DOCUMENT) for a file it cannot read.
 */
export type FormatReader = (bytes: Buffer, file: string) => Promise<Extracted>;
