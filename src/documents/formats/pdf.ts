/**
 * `.pdf`: text per page through PDF.js (`pdfjs-dist`, Mozilla's reader behind Firefox's PDF
 * viewer; the libraries that wrap it — pdf-parse, unpdf — add nothing we need). Its legacy build
 * runs on Node 20; it is imported on the first PDF only (≈ 1 s).
 *
 * Pages are kept as page markers: each page's text follows a heading line `# Page N` (pages
 * without text get none), so the chunker cuts at page breaks and every chunk's heading path
 * names its page (`["Page 3"]`, stored in chunks.heading_path and returned by search).
 * `metadata.pages` is the page count; the PDF's Title and Author become the title and
 * `metadata.author`. No OCR: a scanned PDF without a text layer is EMPTY_DOCUMENT.
 */
import { FileProblem } from '../problems.ts';
import type { Extracted } from './types.ts';

type TextItem = { str: string; hasEOL?: boolean };

function pageText(items: readonly object[]): string {
  let text = '';
  for (const item of items) {
    if (!('str' in item)) continue; // marked-content boundaries
    const { str, hasEOL } = item as TextItem;
    text += str;
    if (hasEOL) text += '\n';
  }
  return text.replace(/[ \t]+\n/g, '\n').trim();
}

const infoString = (info: unknown, key: string): string | undefined => {
  const value = (info as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

export async function readPdf(bytes: Buffer): Promise<Extracted> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // A copy: PDF.js takes ownership of (and detaches) the array it is given.
  const task = pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: pdfjs.VerbosityLevel.ERRORS });
  let doc;
  try {
    doc = await task.promise;
  } catch (error) {
    await task.destroy().catch(() => undefined);
    const e = error as Error;
    const why = e.name === 'PasswordException' ? 'the PDF is encrypted (password-protected)' : `not a readable PDF: ${e.message}`;
    throw new FileProblem('PARSE_FAILED', why, { cause: error });
  }
  try {
    const parts: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const text = pageText((await page.getTextContent()).items);
      page.cleanup();
      if (text !== '') parts.push(`# Page ${n}\n\n${text}`);
    }
    if (parts.length === 0) throw new FileProblem('EMPTY_DOCUMENT', `no text in ${doc.numPages} page(s): a scanned PDF needs OCR first`);
    const { info } = await doc.getMetadata().catch(() => ({ info: undefined }));
    const title = infoString(info, 'Title');
    const author = infoString(info, 'Author');
    return { text: parts.join('\n\n'), contentType: 'text/markdown', ...(title ? { title } : {}), metadata: { format: 'pdf', pages: doc.numPages, ...(author ? { author } : {}) } };
  } catch (error) {
    if (error instanceof FileProblem) throw error;
    throw new FileProblem('PARSE_FAILED', `PDF text could not be read: ${(error as Error).message}`, { cause: error });
  } finally {
    await doc.destroy();
  }
}
