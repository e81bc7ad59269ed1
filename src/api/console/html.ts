/**
 * HTML for the console's server-rendered pages: a tagged template that escapes every
 * interpolated value unless it is already HTML (`SafeHtml`, made by `html` itself or `raw`).
 * Arrays are joined; `undefined`, `null` and `false` render as nothing.
 *
 * Hand-written (25 lines) rather than a template engine: the pages are plain functions of their
 * data, and escaping by default is the one guarantee needed (no user text can become markup).
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === undefined || part === null || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** Markup trusted as it is (made by this folder, never from input). */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup);
