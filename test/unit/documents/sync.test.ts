/**
 * --sync's rule (src/documents/sync.ts), pure: a stored document of a root read in this run is
 * deleted when no file gave its id, unless its own file or folder failed in this run.
 */
import { describe, expect, it } from 'vitest';
import type { FileItem } from '../../../src/documents/files.ts';
import { isUnder, makeRoot } from '../../../src/documents/ids.ts';
import { SyncTracker, type StoredDocument } from '../../../src/documents/sync.ts';

const url = (path: string): string => `file://${path}`;
const doc = (id: string, path: string): FileItem => ({ kind: 'document', origin: path, url: url(path), doc: { id, text: 't', source: url(path) } });
const stored = (id: string, source: string | null): StoredDocument => ({ id, source });

describe('sync tracker', () => {
  const tracked = (...items: FileItem[]): SyncTracker => {
    const t = new SyncTracker();
    t.addRoot(makeRoot('/kb', 'folder'));
    for (const item of items) t.note(item);
    return t;
  };

  it('deletes what the root held and no file gave now: a deleted file, a renamed one\'s old id, an id under an old prefix', () => {
    const t = tracked(doc('a.md', '/kb/a.md'), doc('new-name.md', '/kb/new-name.md'), doc('p/c.md', '/kb/c.md'));
    expect(t.stale([
      stored('a.md', url('/kb/a.md')),
      stored('gone.md', url('/kb/gone.md')),
      stored('old-name.md', url('/kb/old-name.md')),
      stored('c.md', url('/kb/c.md')),
      stored('kb/a.md', url('/kb/a.md')), // the id an older release gave it (relative to the working directory)
    ]).map((d) => d.id)).toEqual(['c.md', 'gone.md', 'kb/a.md', 'old-name.md']);
  });

  it('keeps documents of other roots, of other sources and without a source', () => {
    const t = tracked();
    expect(t.stale([stored('x', url('/kb2/x.md')), stored('y', url('/other/kb/y.md')), stored('z', 'https://example.org/kb/z'), stored('n', null)])).toEqual([]);
  });

  it('keeps the documents of a file or folder that failed in this run (a failure is no proof that it is gone)', () => {
    const t = tracked(
      { kind: 'failure', origin: 'kb/broken.pdf', code: 'PARSE_FAILED', reason: 'x', url: url('/kb/broken.pdf') },
      { kind: 'failure', origin: 'kb/locked/', code: 'UNREADABLE', reason: 'cannot list: EACCES', url: url('/kb/locked') },
      { kind: 'failure', origin: 'kb/lines.jsonl:2', code: 'PARSE_FAILED', reason: 'x', url: url('/kb/lines.jsonl') },
    );
    expect(t.stale([
      stored('broken.pdf', url('/kb/broken.pdf')), stored('locked/a.md', url('/kb/locked/a.md')), stored('line-2', url('/kb/lines.jsonl')), stored('gone.md', url('/kb/gone.md')),
    ]).map((d) => d.id)).toEqual(['gone.md']);
  });

  it('deletes everything below a root that is now empty, and nothing without a root', () => {
    const docs = [stored('a.md', url('/kb/a.md')), stored('b/c.md', url('/kb/b/c.md'))];
    expect(tracked().stale(docs).map((d) => d.id)).toEqual(['a.md', 'b/c.md']);
    expect(new SyncTracker().stale(docs)).toEqual([]);
  });

  it('treats a file root as owning its own source only', () => {
    const t = new SyncTracker();
    t.addRoot(makeRoot('/kb/a.md', 'file'));
    t.note(doc('a.md', '/kb/a.md'));
    expect(t.stale([stored('kb-old-id', url('/kb/a.md')), stored('a.md.bak', url('/kb/a.md.bak')), stored('a.md', url('/kb/a.md'))]).map((d) => d.id)).toEqual(['kb-old-id']);
  });
});

describe('isUnder', () => {
  it.each([
    ['file:///kb/a.md', 'file:///kb', true],
    ['file:///kb', 'file:///kb', true],
    ['file:///kb/a.md', 'file:///kb/', true],
    ['file:///kb2/a.md', 'file:///kb', false],
    ['file:///k', 'file:///kb', false],
    [null, 'file:///kb', false],
  ])('%s under %s: %s', (source, root, expected) => {
    expect(isUnder(source, root)).toBe(expected);
  });
});
