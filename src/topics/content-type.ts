/**
 * The `contentType` of a raw document (an optional field of `era.raw` v1): how its text is
 * written, which decides whether the chunker looks for Markdown headings in it.
 *
 * Accepted (case-insensitive; parameters such as `; charset=utf-8` or `; variant=GFM` are
 * allowed and dropped — the text is always UTF-8 JSON):
 * - `text/markdown` (RFC 7763) and its older alias `text/x-markdown` → `text/markdown`;
 * - `text/plain` → `text/plain`.
 * Anything else (`text/html`, `application/pdf`…) is refused as an invalid message: the
 * pipeline would chunk and embed the markup, so the producer is told to convert first.
 *
 * Absent means `text/markdown`, what every producer got before the field existed (the
 * bundled samples and the eval set are Markdown). The file reader sets it from the extension.
 */
import { ValidationError } from '../errors/pipeline-error.ts';

export type ContentType = 'text/markdown' | 'text/plain';

/** What an absent `contentType` means. */
export const DEFAULT_CONTENT_TYPE: ContentType = 'text/markdown';

const ACCEPTED: Readonly<Record<string, ContentType>> = {
  'text/markdown': 'text/markdown',
  'text/x-markdown': 'text/markdown',
  'text/plain': 'text/plain',
};

/**
 * The canonical content type of a `contentType` value.
 * @throws ValidationError (INVALID_MESSAGE, not retriable) naming the value and the accepted ones.
 */
export function parseContentType(value: string): ContentType {
  const essence = value.split(';', 1)[0]!.trim().toLowerCase();
  const type = ACCEPTED[essence];
  if (type !== undefined) return type;
  throw new ValidationError('invalid raw document', [
    `contentType "${value.slice(0, 100)}" is not supported: use text/markdown or text/plain (convert HTML, PDF and other formats to text before publishing)`,
  ]);
}

/** The content type of a file by its extension: `.md`/`.markdown` are Markdown, anything else plain text. */
export function contentTypeOfExtension(extension: string): ContentType {
  const ext = extension.toLowerCase();
  return ext === '.md' || ext === '.markdown' ? 'text/markdown' : 'text/plain';
}
