import { ConfigError } from '../../errors/pipeline-error.ts';

/**
 * Settings of the chunker. Both sizes are in approximate tokens as counted by
 * `countTokens` (./tokenizer.ts). They are part of every chunk id: changing them
 * re-chunks (and re-embeds) every document on its next ingestion.
 */
export interface ChunkerOptions {
  /**
   * Hard limit of one chunk, overlap included: `countTokens(chunk.text) <= maxTokens` holds
   * for every chunk. Set it to the embedder's input limit (all-MiniLM: 256 wordpieces).
   * Integer, at least 16. Env: `CHUNK_TOKENS`.
   * @defaultValue 256
   */
  maxTokens: number;
  /**
   * Upper bound of the text a chunk repeats from the end of the previous chunk of the same
   * Markdown section (less when the chunk's first piece leaves no room). Integer,
   * `0 <= overlapTokens < maxTokens`. Env: `CHUNK_OVERLAP`.
   * @defaultValue 32
   */
  overlapTokens: number;
}

/** 256 / 32: the defaults of `CHUNK_TOKENS` and `CHUNK_OVERLAP` (src/config/schema.ts). */
export const DEFAULT_CHUNKER_OPTIONS: ChunkerOptions = Object.freeze({ maxTokens: 256, overlapTokens: 32 });

/** Smallest accepted `maxTokens`: below it a Markdown heading and a sentence rarely fit. */
export const MIN_CHUNK_TOKENS = 16;

/** Largest accepted `maxTokens` (no embedder takes more; keeps token sums in int32). */
export const MAX_CHUNK_TOKENS = 1_000_000;

/**
 * Checks options and returns a frozen copy. Called by every chunker entry point, so bad
 * settings fail on first use even when the caller skipped config validation.
 * @throws ConfigError (CONFIG_INVALID, not retriable) naming the setting, the value and the fix.
 */
export function validateChunkerOptions(options: ChunkerOptions): Readonly<ChunkerOptions> {
  const { maxTokens, overlapTokens } = options;
  if (!Number.isInteger(maxTokens) || maxTokens < MIN_CHUNK_TOKENS || maxTokens > MAX_CHUNK_TOKENS) {
    throw new ConfigError(
      `CHUNK_TOKENS (maxTokens) is ${String(maxTokens)}; it must be an integer from ${MIN_CHUNK_TOKENS} to ${MAX_CHUNK_TOKENS}. ` +
        `Set it to the embedder's input limit in tokens (default ${DEFAULT_CHUNKER_OPTIONS.maxTokens}).`,
    );
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0) {
    throw new ConfigError(
      `CHUNK_OVERLAP (overlapTokens) is ${String(overlapTokens)}; it must be an integer >= 0 (default ${DEFAULT_CHUNKER_OPTIONS.overlapTokens}).`,
    );
  }
  if (overlapTokens >= maxTokens) {
    throw new ConfigError(
      `CHUNK_OVERLAP (overlapTokens) is ${overlapTokens}, not smaller than CHUNK_TOKENS (maxTokens) ${maxTokens}. ` +
        'Lower CHUNK_OVERLAP (an eighth of CHUNK_TOKENS is typical) or raise CHUNK_TOKENS.',
    );
  }
  return Object.freeze({ maxTokens, overlapTokens });
}
