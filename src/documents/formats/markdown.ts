/**
 * HTML → Markdown-like text for the chunker, through turndown (the HTML-to-Markdown converter
 * most projects use; MIT, maintained since 2017): headings become `#` lines (ATX), so each
 * chunk keeps the heading path of its section. Links keep their text, images their alt text:
 * URLs are noise to an embedder. Shared by the HTML and DOCX readers (mammoth gives HTML).
 */
import TurndownService from 'turndown';

let service: TurndownService | undefined;

function turndown(): TurndownService {
  if (service) return service;
  service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*' });
  service.remove(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'embed', 'canvas', 'svg'] as TurndownService.Filter);
  service.addRule('link text', { filter: 'a', replacement: (content) => content });
  service.addRule('image alt text', { filter: 'img', replacement: (_content, node) => (node as unknown as { getAttribute(name: string): string | null }).getAttribute('alt') ?? '' });
  return service;
}

/** Markdown of an HTML fragment or document; blank runs of lines collapsed. */
export function htmlToMarkdown(html: string): string {
  return turndown().turndown(html).replace(/\n{3,}/g, '\n\n').trim();
}

/** Text of the first Markdown heading line, if any. */
export function firstHeading(markdown: string): string | undefined {
  return /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(markdown)?.[1];
}
