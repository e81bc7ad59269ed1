/**
 * `.html`, `.htm`: the page's main content as Markdown-like text, headings as `#` lines.
 * - linkedom parses the page (a DOM without a browser: nothing is fetched or executed; lighter
 *   than jsdom); scripts, styles, templates are dropped, and so are `nav`, `aside`, `footer` and
 *   `header` outside an `article`/`main` (HTML defines them as not the page's main content).
 * - A page that marks its main content (one `<main>` or `[role=main]`) is taken at its word.
 *   Otherwise Mozilla's Readability (the library behind Firefox Reader View) finds the article
 *   among the rest; when it finds none, the whole cleaned `<body>` is taken.
 * - turndown (./markdown.ts) writes the result as Markdown. The text starts with `# <title>` (the
 *   page's first `<h1>`, else its `<title>`) unless it already starts with that heading, so the
 *   page's sections sit under it (Readability demotes an article's `<h1>`s to `<h2>`).
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { FileProblem } from '../problems.ts';
import { firstHeading, htmlToMarkdown } from './markdown.ts';
import type { Extracted } from './types.ts';

/** Never content. */
const CODE = 'script, style, noscript, template';
/** Not the main content when outside an article (HTML's sectioning rules). */
const CHROME = 'nav, aside, footer, header, form';

/** The encoding a page declares (BOM, `<meta charset>`), if the runtime knows it; UTF-8 otherwise. */
function decode(bytes: Buffer): string {
  const bom = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  if (!bom && bytes.subarray(0, 8192).includes(0)) throw new FileProblem('BINARY', 'binary file (contains NUL bytes)');
  const declared = bom ?? /<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)/i.exec(bytes.subarray(0, 2048).toString('latin1'))?.[1];
  let decoder;
  try {
    decoder = new TextDecoder(declared ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8'); // a label the runtime does not know
  }
  return decoder.decode(bytes);
}

const clean = (s: string | null | undefined): string | undefined => {
  const t = s?.replace(/\s+/g, ' ').trim();
  return t ? t : undefined;
};

export async function readHtml(bytes: Buffer): Promise<Extracted> {
  const { document } = parseHTML(decode(bytes));
  for (const node of document.querySelectorAll(CODE)) node.remove();
  for (const node of document.querySelectorAll(CHROME)) if (!node.parentElement?.closest('article, main, [role=main]')) node.remove();
  const title = clean(document.querySelector('h1')?.textContent) ?? clean(document.querySelector('title')?.textContent);
  const mains = document.querySelectorAll('main, [role=main]');
  let markdown: string;
  if (mains.length === 1) {
    markdown = htmlToMarkdown(mains[0]!.innerHTML);
  } else {
    const body = document.body?.innerHTML ?? '';
    // Readability changes the document it reads: the body was kept for the fallback.
    const article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 0 }).parse();
    markdown = htmlToMarkdown(article?.content && clean(article.textContent) ? article.content : body);
  }
  if (markdown === '') throw new FileProblem('EMPTY_DOCUMENT', 'the page has no text');
  const leading = firstHeading(markdown.split('\n', 1)[0] ?? '');
  const text = title && leading !== title ? `# ${title}\n\n${markdown}` : markdown;
  return { text, contentType: 'text/markdown', ...(title ? { title } : {}), metadata: { format: 'html' } };
}
