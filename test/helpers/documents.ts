/**
 * Real files of every format `run` reads, made in the test: PDF (written here: a valid PDF 1.4
 * with one Helvetica text stream per page and a correct xref table), DOCX (the `docx` library,
 * with Word's Heading styles), HTML with navigation, scripts and styles around its main content.
 */
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';

/** A PDF whose page i shows the lines of `pages[i]` (Latin-1 text), with an optional Info Title. */
export function makePdf(pages: readonly (readonly string[])[], info: { title?: string } = {}): Buffer {
  const esc = (s: string): string => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const objects: string[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${5 + 2 * i} 0 R`).join(' ')}] /Count ${pages.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    info.title === undefined ? '<< >>' : `<< /Title (${esc(info.title)}) >>`,
  ];
  pages.forEach((lines, i) => {
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${6 + 2 * i} 0 R >>`);
    const stream = `BT /F1 12 Tf 16 TL 72 720 Td ${lines.map((l) => `(${esc(l)}) Tj T*`).join(' ')} ET`;
    objects.push(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
  });
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A DOCX of headings (`# ` … `###### ` prefixes, Word's Heading 1–6 styles) and paragraphs. */
export async function makeDocx(lines: readonly string[]): Promise<Buffer> {
  const levels = [HeadingLevel.HEADING_1, HeadingLevel.HEADING_2, HeadingLevel.HEADING_3, HeadingLevel.HEADING_4, HeadingLevel.HEADING_5, HeadingLevel.HEADING_6];
  const children = lines.map((line) => {
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    return heading ? new Paragraph({ text: heading[2]!, heading: levels[heading[1]!.length - 1]! }) : new Paragraph(line);
  });
  return Packer.toBuffer(new Document({ sections: [{ children }] }));
}

/** A page with its main content in `<main>` between navigation, header, footer, scripts and styles. */
export function makeHtml(title: string, main: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} | Example Ministry</title>
<style>body { font-family: sans-serif } .nav { color: red } /* STYLE-NOISE */</style>
<script>window.analytics = "SCRIPT-NOISE"; document.write("SCRIPT-NOISE");</script></head>
<body><nav class="nav"><a href="/">Home</a> <a href="/news">NAV-NOISE news</a> <a href="/about">About us</a></nav>
<header><p>HEADER-NOISE: the official site of the Example Ministry</p></header>
<main>${main}</main>
<aside><h2>Related</h2><p>ASIDE-NOISE related links</p></aside>
<footer><p>FOOTER-NOISE © Example Ministry · Cookies · Accessibility</p></footer>
<script src="/app.js"></script><script>console.log("SCRIPT-NOISE")</script></body></html>`;
}
