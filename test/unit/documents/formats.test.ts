/**
 * The format readers on real files made here (test/helpers/documents.ts): PDF pages kept as
 * page headings, HTML main content without script/style/navigation noise, DOCX headings, and
 * broken files reported with a code, never thrown as anything else.
 */
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { readDocx } from '../../../src/documents/formats/docx.ts';
import { readHtml } from '../../../src/documents/formats/html.ts';
import { readPdf } from '../../../src/documents/formats/pdf.ts';
import { FileProblem } from '../../../src/documents/problems.ts';
import { chunkDocument } from '../../../src/stages/chunk/transform.ts';
import { makeDocx, makeHtml, makePdf } from '../../helpers/documents.ts';

const problemOf = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(FileProblem);
  return error as FileProblem;
};
const headingPaths = (text: string): string[][] => chunkDocument({ id: 'd', text }, { version: 1 }, { maxTokens: 32, overlapTokens: 4 }).map((c) => c.headingPath); // small chunks: sections this short are not merged

describe('PDF reader', () => {
  const pdf = makePdf([['Budget 2026', 'The deficit narrowed to 3.1 per cent (of GDP).'], [], ['Capital spending', 'Capital budgets rise by 2 per cent a year.']], { title: 'Budget 2026 report' });

  it('keeps every page with text under a "# Page N" heading, so each chunk names its page', async () => {
    const { text, title, metadata } = await readPdf(pdf);
    expect(text).toBe('# Page 1\n\nBudget 2026\nThe deficit narrowed to 3.1 per cent (of GDP).\n\n# Page 3\n\nCapital spending\nCapital budgets rise by 2 per cent a year.');
    expect(title).toBe('Budget 2026 report');
    expect(metadata).toEqual({ format: 'pdf', pages: 3 });
    expect(headingPaths(text)).toEqual([['Page 1'], ['Page 3']]);
  });

  it('reports a truncated PDF as PARSE_FAILED', async () => {
    const problem = await problemOf(readPdf(pdf.subarray(0, Math.floor(pdf.length / 3))));
    expect(problem.code).toBe('PARSE_FAILED');
    expect(problem.message).toMatch(/not a readable PDF/);
  });

  it('reports a PDF without a text layer as EMPTY_DOCUMENT', async () => {
    expect((await problemOf(readPdf(makePdf([[], []])))).code).toBe('EMPTY_DOCUMENT');
  });

  it('reports bytes that are no PDF at all as PARSE_FAILED', async () => {
    expect((await problemOf(readPdf(Buffer.from('hello, I am text')))).code).toBe('PARSE_FAILED');
  });
});

describe('HTML reader', () => {
  const main = '<h1>Hospital waiting lists</h1><p>Patients wait 14 weeks for planned treatment.</p>'
    + '<h2>Recovery plan</h2><p>Forty new surgical hubs will open.</p><h3>Staff</h3><p>More nurses are <a href="/n">recruited</a>.</p>'
    + '<img src="chart.png" alt="A chart of waits"><script>var inMain = "SCRIPT-NOISE";</script>';

  it('keeps the main content with its headings and drops scripts, styles, navigation, header, aside and footer', async () => {
    const { text, title } = await readHtml(Buffer.from(makeHtml('Hospital waiting lists', main)));
    expect(title).toBe('Hospital waiting lists');
    expect(text).toBe('# Hospital waiting lists\n\nPatients wait 14 weeks for planned treatment.\n\n## Recovery plan\n\nForty new surgical hubs will open.\n\n### Staff\n\nMore nurses are recruited.\n\nA chart of waits');
    expect(text).not.toMatch(/NOISE|window\.|font-family|\/n\)|chart\.png/);
    expect(headingPaths(text)).toEqual([['Hospital waiting lists'], ['Hospital waiting lists', 'Recovery plan'], ['Hospital waiting lists', 'Recovery plan', 'Staff']]);
  });

  it('finds the article of a page that marks no main content (Readability), still without the noise', async () => {
    const page = makeHtml('Hospital waiting lists', main).replace('<main>', '<div class="page"><div id="content">').replace('</main>', '</div></div>');
    const { text } = await readHtml(Buffer.from(page));
    expect(text).toMatch(/^# Hospital waiting lists\n/);
    expect(text).toMatch(/## Recovery plan\n\nForty new surgical hubs will open\./);
    expect(text).not.toMatch(/NOISE/);
  });

  it('takes the <title> when the page has no <h1>, and the declared encoding', async () => {
    const page = Buffer.from('<html><head><meta charset="iso-8859-1"><title>Café prices</title></head><body><p>Tea in the café costs 2.</p></body></html>', 'latin1');
    const { text, title } = await readHtml(page);
    expect(title).toBe('Café prices');
    expect(text).toBe('# Café prices\n\nTea in the café costs 2.');
  });

  it('reports a page without text as EMPTY_DOCUMENT and one with NUL bytes as BINARY', async () => {
    expect((await problemOf(readHtml(Buffer.from('<html><head><style>p{}</style></head><body><script>x()</script></body></html>')))).code).toBe('EMPTY_DOCUMENT');
    expect((await problemOf(readHtml(Buffer.from([0x3c, 0x68, 0x00, 0x01, 0x02])))).code).toBe('BINARY');
  });
});

describe('DOCX reader', () => {
  it('keeps Word headings as Markdown headings', async () => {
    const docx = await makeDocx(['# Prison capacity', 'The prison population reached a record high.', '## Probation', 'Officers supervise offenders in the community.', '### Caseloads', 'Caseloads fell.']);
    const { text, title, metadata } = await readDocx(docx);
    expect(text).toBe('# Prison capacity\n\nThe prison population reached a record high.\n\n## Probation\n\nOfficers supervise offenders in the community.\n\n### Caseloads\n\nCaseloads fell.');
    expect(title).toBe('Prison capacity');
    expect(metadata).toEqual({ format: 'docx' });
    expect(headingPaths(text)).toEqual([['Prison capacity'], ['Prison capacity', 'Probation'], ['Prison capacity', 'Probation', 'Caseloads']]);
  });

  it('reports a .docx that is not a zip, and a zip that is not a Word document, as PARSE_FAILED', async () => {
    const notZip = await problemOf(readDocx(Buffer.from('plain text pretending to be a document')));
    expect(notZip).toMatchObject({ code: 'PARSE_FAILED', message: 'not a DOCX file (not a zip archive)' });
    const zip = new JSZip();
    zip.file('hello.txt', 'not word');
    const notWord = await problemOf(readDocx(await zip.generateAsync({ type: 'nodebuffer' })));
    expect(notWord.code).toBe('PARSE_FAILED');
    expect(notWord.message).toMatch(/^not a readable DOCX file/);
  });

  it('reports a truncated DOCX as PARSE_FAILED', async () => {
    const docx = await makeDocx(['# Title', 'Some text.']);
    expect((await problemOf(readDocx(docx.subarray(0, docx.length - 40)))).code).toBe('PARSE_FAILED');
  });
});
