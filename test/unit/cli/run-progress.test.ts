/**
 * The progress bar of `era-ingest run` shows real progress: its total is the documents the run
 * will read (the files counted before reading, then what each file gave), so the first frame is
 * an empty bar out of the files found, never a full one, and the last is full. Frames are read
 * from the bar's own output on a stream that says it is a terminal.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { runEmbeddedCommand } from '../../../src/cli/run-embedded.ts';
import { createRunBar, expectedDocuments } from '../../../src/cli/run-progress.ts';

/** A terminal that keeps what is drawn on it. */
function terminal(): { stream: NodeJS.WritableStream; output: () => string } {
  let out = '';
  const stream = Object.assign(new Writable({ write(chunk, _encoding, callback) { out += String(chunk); callback(); } }), { isTTY: true, columns: 160 });
  return { stream, output: () => out };
}

interface Frame { filled: number; width: number; value: number; total: number }

/** Every frame drawn: the bar's filled and total cells, and its `value/total docs`. */
function frames(output: string): Frame[] {
  // eslint-disable-next-line no-control-regex
  return output.split('\x1b[1G').slice(1).map((drawn) => drawn.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '')).map((text) => {
    const [, bar, value, total] = /^ ([█░]+) (\d+)\/(\d+) docs \|/.exec(text) ?? [];
    if (!bar) throw new Error(`not a frame of the bar: ${JSON.stringify(text)}`);
    return { filled: [...bar].filter((c) => c === '█').length, width: [...bar].length, value: Number(value), total: Number(total) };
  });
}

describe('run progress', () => {
  it('expects one document per file not read yet, and what each file read gave', () => {
    expect(expectedDocuments({ files: 4, filesBegun: 0, documentsRead: 0 })).toBe(4);
    expect(expectedDocuments({ files: 4, filesBegun: 2, documentsRead: 2 })).toBe(4);
    // The second file was a .jsonl of 5 documents; a failed file gives none.
    expect(expectedDocuments({ files: 4, filesBegun: 2, documentsRead: 6 })).toBe(8);
    expect(expectedDocuments({ files: 4, filesBegun: 4, documentsRead: 6 })).toBe(6);
    // Deletions found after reading (--sync) add to what was read.
    expect(expectedDocuments({ files: 4, filesBegun: 4, documentsRead: 9 })).toBe(9);
    expect(expectedDocuments({ files: 0, filesBegun: 0, documentsRead: 0 })).toBe(0);
  });

  it('draws an empty bar, not a full one, while the total is 0', () => {
    const { stream, output } = terminal();
    const bar = createRunBar(stream);
    bar.start(0, 0, { chunks: 0, rate: 0, failures: 0, status: '' });
    bar.stop();
    for (const frame of frames(output())) expect(frame).toMatchObject({ filled: 0, value: 0, total: 0 });
  });

  describe('of a run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'era-run-progress-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('starts empty out of the files found, ends full out of the documents read, and is never fuller than the work done', { timeout: 60_000 }, async () => {
      mkdirSync(join(dir, 'docs'));
      for (const name of ['budget', 'hospitals', 'schools']) writeFileSync(join(dir, 'docs', `${name}.md`), `# ${name}\n\nA short note about ${name}.\n`);
      writeFileSync(join(dir, 'docs', 'faq.jsonl'), [1, 2, 3, 4].map((i) => JSON.stringify({ id: `faq-${i}`, text: `Question ${i} and its answer.` })).join('\n'));
      const { stream, output } = terminal();
      const summary = await runEmbeddedCommand([join(dir, 'docs')], loadConfig({ EMBEDDER: 'hash' }), { dataDir: join(dir, 'store') }, { progress: true, progressTo: stream });
      expect(summary.documents).toBe(7);
      const drawn = frames(output());
      expect(drawn[0]).toEqual({ filled: 0, width: 40, value: 0, total: 4 }); // 4 files found, nothing stored yet
      expect(drawn.at(-1)).toEqual({ filled: 40, width: 40, value: 7, total: 7 }); // the .jsonl gave 4 documents
      for (const frame of drawn) {
        expect(frame.value).toBeLessThanOrEqual(frame.total);
        expect(frame.filled).toBeLessThanOrEqual(Math.round((frame.width * frame.value) / frame.total));
      }
    });
  });
});
