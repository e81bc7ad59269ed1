import { describe, expect, it } from 'vitest';
import { MAX_HEADING_CHARS, splitSections } from '../../../src/stages/chunk/sections.ts';

/** Sections as [text, headingPath] pairs, easier to read in assertions. */
function sections(text: string): [string, string[]][] {
  return splitSections(text).map((s) => [text.slice(s.start, s.end), s.headingPath]);
}

describe('markdown sections of the chunker', () => {
  it('start at every ATX heading and keep the heading line in their text', () => {
    expect(sections('Intro.\n# Guide\nText.\n## Install\nRun it.\n')).toEqual([
      ['Intro.\n', []],
      ['# Guide\nText.\n', ['Guide']],
      ['## Install\nRun it.\n', ['Guide', 'Install']],
    ]);
  });

  it('close every open heading of the same or a deeper level', () => {
    const text = '# A\na\n## B\nb\n### C\nc\n## D\nd\n# E\ne\n### F\nf\n';
    expect(splitSections(text).map((s) => s.headingPath)).toEqual([['A'], ['A', 'B'], ['A', 'B', 'C'], ['A', 'D'], ['E'], ['E', 'F']]);
  });

  it('merge a heading-only section into its first subsection, so no chunk is a lone heading', () => {
    expect(sections('# Guide\n\n## Install\n\nRun it.\n')).toEqual([['# Guide\n\n## Install\n\nRun it.\n', ['Guide', 'Install']]]);
    // …but not into a sibling: that heading is content of its own.
    expect(sections('## Empty\n## Next\ntext\n')).toEqual([
      ['## Empty\n', ['Empty']],
      ['## Next\ntext\n', ['Next']],
    ]);
  });

  it('join leading whitespace to the first section', () => {
    expect(sections('\n\n  \n# Title\nBody')).toEqual([['\n\n  \n# Title\nBody', ['Title']]]);
  });

  it('strip the closing hashes and collapse whitespace in titles', () => {
    expect(splitSections('## Install   it ##  \nx').map((s) => s.headingPath)).toEqual([['Install it']]);
    expect(splitSections('  ### \tIndented\t###\nx').map((s) => s.headingPath)).toEqual([['Indented']]);
    expect(splitSections('# C# and F#\nx').map((s) => s.headingPath)).toEqual([['C# and F#']]);
  });

  it('leave empty titles out of the path but still start a section', () => {
    expect(sections('# A\na\n##\nb\n')).toEqual([
      ['# A\na\n', ['A']],
      ['##\nb\n', ['A']],
    ]);
  });

  it('do not take #hashtags, seven hashes, indented code or quoted headings for headings', () => {
    const text = '#hashtag\n####### seven\n    # indented code\n> # quoted\n';
    expect(sections(text)).toEqual([[text, []]]);
  });

  it('ignore headings inside fenced code blocks, until the fence closes', () => {
    const text = '# Setup\n```bash\n# install deps\nnpm ci\n```\n## After\nx\n~~~~\n# still code\n~~~\n# also code\n~~~~\n# Real\ny';
    expect(splitSections(text).map((s) => s.headingPath)).toEqual([['Setup'], ['Setup', 'After'], ['Real']]);
  });

  it('treat an unclosed fence as running to the end of the document', () => {
    expect(splitSections('# A\n```\n# not a heading\n').map((s) => s.headingPath)).toEqual([['A']]);
  });

  it('do not recognise setext headings (their text stays in the current section)', () => {
    expect(sections('# A\nTitle\n=====\nbody\n')).toEqual([['# A\nTitle\n=====\nbody\n', ['A']]]);
  });

  it('cap heading titles without cutting a grapheme cluster', () => {
    const title = 'e\u0301'.repeat(MAX_HEADING_CHARS);
    const [section] = splitSections(`# ${title}\nbody`);
    const kept = section!.headingPath[0]!;
    expect(kept.length).toBeLessThanOrEqual(MAX_HEADING_CHARS);
    expect(kept.length % 2).toBe(0);
    expect(title.startsWith(kept)).toBe(true);
  });

  it('cover the text contiguously', () => {
    const text = 'pre\n# A\n\n## B\nb\n## C\n\n### D\n\n';
    const all = splitSections(text);
    expect(all[0]!.start).toBe(0);
    expect(all.at(-1)!.end).toBe(text.length);
    for (let k = 1; k < all.length; k++) expect(all[k]!.start).toBe(all[k - 1]!.end);
  });
});
