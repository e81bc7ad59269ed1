/**
 * Markdown sections: the chunker never lets a chunk span two of them, and every chunk
 * records the heading path of its section.
 *
 * Rules (a subset of CommonMark, enough for headings):
 * - an ATX heading is a line of 0–3 spaces, 1–6 `#`, then a space, a tab or the end of the
 *   line; its title is the rest of the line without the optional closing `#` sequence,
 *   whitespace collapsed, cut to {@link MAX_HEADING_CHARS} characters;
 * - lines inside fenced code blocks (``` or ~~~, closed by a fence of the same character at
 *   least as long; an unclosed fence runs to the end) are never headings, so a `# comment`
 *   in a shell snippet does not start a section. Setext headings (underlined with `===` or
 *   `---`) are not recognised: their text stays in the current section;
 * - a section runs from its heading line (included: the heading text belongs to the chunk
 *   text) to the next heading; text before the first heading is a section with path `[]`;
 * - the heading path is the titles of the enclosing headings, outermost first (a heading
 *   closes every open heading of the same or a deeper level); empty titles are left out;
 * - a section holding nothing but its heading line, directly followed by a deeper heading,
 *   is merged into that subsection (`# Guide` / `## Install` → one section with path
 *   `["Guide", "Install"]` whose text starts at `# Guide`), so no chunk is a lone heading;
 *   whitespace before the first heading joins the first section.
 */
import { boundaryAtOrBefore } from './graphemes.ts';

/** A slice `[start, end)` of the normalised text. Sections are contiguous and cover it. */
export interface Section {
  start: number;
  end: number;
  headingPath: string[];
}

/** Longest heading title kept in a heading path (UTF-16 code units, never mid-cluster). */
export const MAX_HEADING_CHARS = 200;

interface Heading {
  start: number;
  lineEnd: number;
  level: number;
  title: string;
}

const HASH = 0x23;
const BACKTICK = 0x60;
const TILDE = 0x7e;
const nonSpace = /\S/g;

function isBlankRange(text: string, start: number, end: number): boolean {
  nonSpace.lastIndex = start;
  const match = nonSpace.exec(text);
  return match === null || match.index >= end;
}

function headingTitle(text: string, from: number, lineEnd: number): string {
  const cap = Math.min(lineEnd, from + 4 * MAX_HEADING_CHARS);
  let title = text.slice(from, cap);
  if (cap === lineEnd) title = title.replace(/(?:^|[ \t]+)#+[ \t]*$/, '');
  title = title.replace(/\s+/g, ' ').trim();
  if (title.length > MAX_HEADING_CHARS) title = title.slice(0, boundaryAtOrBefore(title, MAX_HEADING_CHARS, 0)).trimEnd();
  return title;
}

function findHeadings(text: string): Heading[] {
  const headings: Heading[] = [];
  let fence: { char: number; length: number } | undefined;
  const n = text.length;
  let pos = 0;
  while (pos < n) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? n : nl;
    let i = pos;
    while (i < lineEnd && i - pos < 3 && text.charCodeAt(i) === 0x20) i++;
    const c = text.charCodeAt(i);
    if (c === BACKTICK || c === TILDE) {
      let j = i;
      while (j < lineEnd && text.charCodeAt(j) === c) j++;
      const length = j - i;
      if (length >= 3) {
        const rest = text.slice(j, lineEnd);
        if (fence === undefined) {
          if (c === TILDE || !rest.includes('`')) fence = { char: c, length };
        } else if (fence.char === c && length >= fence.length && rest.trim() === '') {
          fence = undefined;
        }
      }
    } else if (c === HASH && fence === undefined) {
      let j = i;
      while (j < lineEnd && text.charCodeAt(j) === HASH) j++;
      const level = j - i;
      const after = text.charCodeAt(j);
      if (level <= 6 && (j === lineEnd || after === 0x20 || after === 0x09)) {
        headings.push({ start: pos, lineEnd, level, title: headingTitle(text, j, lineEnd) });
      }
    }
    pos = nl < 0 ? n : nl + 1;
  }
  return headings;
}

/**
 * Splits normalised text into Markdown sections (rules in the module comment). Sections
 * are contiguous, cover `[0, text.length)`, and none is blank unless the text is.
 * Linear in the length of the text.
 */
export function splitSections(text: string): Section[] {
  const headings = findHeadings(text);
  const sections: Section[] = [];
  let pendingStart = 0;
  const firstHeading = headings[0]?.start ?? text.length;
  if (firstHeading > 0 && !isBlankRange(text, 0, firstHeading)) {
    sections.push({ start: 0, end: firstHeading, headingPath: [] });
    pendingStart = firstHeading;
  }
  const open: Heading[] = [];
  for (let k = 0; k < headings.length; k++) {
    const heading = headings[k]!;
    const next = headings[k + 1];
    const end = next?.start ?? text.length;
    while (open.length > 0 && open[open.length - 1]!.level >= heading.level) open.pop();
    open.push(heading);
    if (next !== undefined && next.level > heading.level && isBlankRange(text, heading.lineEnd, end)) continue;
    sections.push({ start: pendingStart, end, headingPath: open.map((h) => h.title).filter((t) => t !== '') });
    pendingStart = end;
  }
  if (sections.length === 0 && text.length > 0) sections.push({ start: 0, end: text.length, headingPath: [] });
  return sections;
}
