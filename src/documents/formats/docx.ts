/**
 * `.docx`: Word documents through mammoth (BSD-2, maintained since 2013), which maps Word's
 * paragraph styles to HTML — Heading 1…6 to `<h1>`…`<h6>`, lists, tables — and ignores
 * formatting; turndown (./markdown.ts) then writes the headings as `#` lines. The legacy binary
 * `.doc` format is not read (mammoth does not read it either).
 */
import mammoth from 'mammoth';
import { FileProblem } from '../problems.ts';
import { firstHeading, htmlToMarkdown } from './markdown.ts';
import type { Extracted } from './types.ts';

export async function readDocx(bytes: Buffer): Promise<Extracted> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes })).value;
  } catch (error) {
    const message = (error as Error).message;
    const why = /end of central directory|zip/i.test(message) ? 'not a DOCX file (not a zip archive)' : `not a readable DOCX file: ${message}`;
    throw new FileProblem('PARSE_FAILED', why, { cause: error });
  }
  const text = htmlToMarkdown(html);
  if (text === '') throw new FileProblem('EMPTY_DOCUMENT', 'the document has no text');
  const title = firstHeading(text);
  return { text, contentType: 'text/markdown', ...(title ? { title } : {}), metadata: { format: 'docx' } };
}
