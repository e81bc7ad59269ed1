/**
 * The file types `run` and `publish` read, by extension: the one table the readers, the
 * messages and the help derive from. `.json`/`.jsonl` hold raw-format documents
 * (src/documents/files.ts reads them); every other type is one document per file.
 */
import { readDocx } from './docx.ts';
import { readHtml } from './html.ts';
import { readPdf } from './pdf.ts';
import { readText } from './text.ts';
import type { FormatReader } from './types.ts';

export type FormatName = 'text' | 'json' | 'jsonl' | 'pdf' | 'html' | 'docx';

export const FORMATS: Readonly<Record<string, FormatName>> = {
  '.md': 'text', '.markdown': 'text', '.txt': 'text',
  '.json': 'json', '.jsonl': 'jsonl',
  '.pdf': 'pdf', '.html': 'html', '.htm': 'html', '.docx': 'docx',
};

/** Formats whose file is converted (its size is limited by MAX_FILE_BYTES; the text it gives by MAX_DOCUMENT_BYTES). */
export const CONVERTED: ReadonlySet<FormatName> = new Set(['pdf', 'html', 'docx']);

/** Readers of the one-document-per-file formats. */
export const READERS: Readonly<Record<Exclude<FormatName, 'json' | 'jsonl'>, FormatReader>> = {
  text: readText, pdf: readPdf, html: readHtml, docx: readDocx,
};

/** `.md, .markdown, …` for messages and help. */
export const SUPPORTED_TYPES = Object.keys(FORMATS).join(', ');
