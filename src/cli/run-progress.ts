/**
 * The progress bar of `era-ingest run`: documents finished out of the documents the run will
 * read, drawn honestly. Before reading, the files to read are counted (a walk of the folders:
 * names and sizes, nothing read); each file not read yet counts as one document, and a file
 * once read counts as the documents it gave (a `.jsonl` file several, a failed one none). So the
 * total is exact from the start for a corpus of one-document files, becomes exact as the last
 * file is read, and the bar is never drawn fuller than the work done.
 */
import { Presets, SingleBar } from 'cli-progress';

export interface ReadProgress {
  /** Files the walk found to read (0 when not counted). */
  files: number;
  /** Files the reader has begun. */
  filesBegun: number;
  /** Documents the reader has given (and deletions found, with --sync). */
  documentsRead: number;
}

/** The documents the run will have read when it ends, as far as known now (see the file's contract). */
export function expectedDocuments({ files, filesBegun, documentsRead }: ReadProgress): number {
  return documentsRead + Math.max(0, files - filesBegun);
}

/** Payload of every frame. */
export interface BarPayload {
  chunks: number;
  rate: number;
  failures: number;
  status: string;
}

/**
 * The bar, drawn on `stream` (a terminal: cli-progress draws nothing elsewhere). An empty total
 * draws an empty bar, not a full one. Call `start(total, 0, payload)`, then `setTotal`/`update`,
 * then `stop()` (draws the last frame).
 */
export function createRunBar(stream: NodeJS.WritableStream = process.stderr): SingleBar {
  return new SingleBar({
    format: ' {bar} {value}/{total} docs | {chunks} chunks | {rate} chunks/s | {failures} failed {status}',
    hideCursor: true,
    emptyOnZero: true,
    stream,
  }, Presets.shades_classic);
}
