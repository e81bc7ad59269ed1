/**
 * What `era-ingest run` reports (human and `--json`) and its exit code:
 * - 0: every file found was ingested, or skipped as not for us (unsupported type in a folder,
 *   hidden entry); deletions of --sync done;
 * - 1: a file failed (too large, binary, does not parse, no text, unreadable, invalid document,
 *   an unsupported file named on its own), a stage rejected an input (dead letters), the run
 *   stopped early — or, with `--strict`, a file was skipped;
 * - 2: a configuration error (at start, or reported later by a server).
 */
import { fileURLToPath } from 'node:url';
import { relative, sep } from 'node:path';
import type { FileReport } from '../documents/problems.ts';
import { formatChunkSizes, type ChunkSizes } from './chunk-sizes.ts';

export interface RunSummary {
  documents: number;
  chunks: number;
  /** Chunks embedded by a call to the embedder (the rest reused stored vectors). */
  embedded: number;
  reused: number;
  ministers: Record<string, number>;
  /** Files not read because they are not for us (exit 1 only with --strict), in reading order. */
  skipped: FileReport[];
  /**
   * Files that could not be ingested, and inputs a stage rejected (one line per input and
   * stage; those with `stage` are in dead_letters), in the order met.
   */
  failures: Array<{ origin: string; reason: string; code?: string; stage?: string }>;
  /** Documents deleted: by --sync (with the `source` whose file is gone) or by `delete`. */
  deleted: Array<{ id: string; source?: string }>;
  /** Inputs a stage rejected (recorded in the store's dead_letters table). */
  deadLetters: number;
  /** Why the run stopped before the end (a dependency down past the deadline, the dead-letter limit, a configuration error, an interrupt). */
  error?: string;
  /** The error code of `error`. */
  errorCode?: string;
  seconds: number;
  chunksPerSecond: number;
  /**
   * Current chunks embedded by another model than this run's, by model: an unchanged document
   * keeps the vectors it was stored with (re-embedding it is `era-ingest reembed`'s work).
   */
  otherModels?: Record<string, number>;
  /** The model this run embedded with. */
  model?: string;
  /** How big the chunks this run stored are, and how many each stored document got (absent when none). */
  chunkSizes?: ChunkSizes;
}

const LIST_LIMIT = 50;

function list(lines: string[], items: readonly string[]): void {
  for (const item of items.slice(0, LIST_LIMIT)) lines.push(`    ${item}`);
  if (items.length > LIST_LIMIT) lines.push(`    … and ${items.length - LIST_LIMIT} more (use --json for all)`);
}

/** A `file:` source as a path relative to the working directory (others as they are). */
function shownSource(source: string): string {
  if (!source.startsWith('file:')) return source;
  const path = fileURLToPath(source);
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel.split(sep).join('/');
}

/** The human summary printed after a run. */
export function formatSummary(s: RunSummary & { jobId: string; store: string }, lexical: boolean): string {
  const lines = [
    `ingested ${s.documents} documents, ${s.chunks} chunks in ${s.seconds.toFixed(1)} s (${Math.round(s.chunksPerSecond)} chunks/s) into ${s.store}`,
    `  embedded ${s.embedded} chunks, reused ${s.reused} stored vectors${lexical ? ' (hash embedder: lexical, not semantic)' : ''}`,
    ...(s.chunkSizes ? [`  ${formatChunkSizes(s.chunkSizes)}`] : []),
    `  ministers: ${Object.entries(s.ministers).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`,
    `  job: ${s.jobId}`,
  ];
  if (s.skipped.length) {
    lines.push(`  ${s.skipped.length} skipped (not for era-ingest; an error only with --strict):`);
    list(lines, s.skipped.map((f) => `${f.origin}: ${f.reason}`));
  }
  if (s.failures.length) {
    lines.push(`  ${s.failures.length} failed${s.deadLetters ? ` (${s.deadLetters} inputs rejected by a stage, kept as dead letters: era-ingest dlq list --data-dir <dir>)` : ''}:`);
    list(lines, s.failures.map((f) => `${f.origin}: ${f.reason}`));
  }
  if (s.deleted.length) {
    lines.push(`  deleted ${s.deleted.length} document${s.deleted.length === 1 ? '' : 's'}${s.deleted.some((d) => d.source) ? ' whose files are gone (--sync)' : ''}:`);
    list(lines, s.deleted.map((d) => (d.source ? `${d.id} (was ${shownSource(d.source)})` : d.id)));
  }
  for (const [model, n] of Object.entries(s.otherModels ?? {})) {
    lines.push(`  note: ${n} stored chunks of unchanged documents keep their ${model} vectors; to search them with ${s.model}, re-embed them: era-ingest reembed --model ${s.model} (with this run's --data-dir or --db)`);
  }
  if (s.error) lines.push(`  stopped before the end: ${s.error}`);
  return lines.join('\n');
}

/** Exit code of a run (see the file's contract). */
export function runExitCode(s: Pick<RunSummary, 'errorCode' | 'error' | 'deadLetters' | 'failures' | 'skipped'>, strict = false): number {
  if (s.errorCode === 'CONFIG_INVALID') return 2;
  return s.error !== undefined || s.deadLetters > 0 || s.failures.length > 0 || (strict && s.skipped.length > 0) ? 1 : 0;
}
