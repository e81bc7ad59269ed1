/**
 * The chunk-size distribution of a run (`era-ingest run` summary, `chunkSizes`): what the
 * chunker made of the documents, measured on the chunks the run stored and the documents it
 * completed. Sizes in the chunker's tokens (`tokenCount`) and in characters (UTF-16 code
 * units of the chunk text, overlap included).
 */

export interface ChunkSizes {
  /** Percentiles (nearest rank) and mean of the chunks' token counts. */
  tokens: { p10: number; p50: number; p90: number; mean: number };
  /** Mean characters per chunk. */
  meanChars: number;
  /** Chunks per stored document. */
  chunksPerDocument: { p50: number; p90: number; max: number; mean: number };
}

/** Nearest-rank percentile of sorted samples: the smallest sample with at least p % of them at or below it. */
function rank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Collects chunk and document sizes as a run reports them; `sizes()` summarises. */
export class ChunkSizeTally {
  private readonly tokens: number[] = [];
  private readonly chars: number[] = [];
  private readonly perDocument: number[] = [];

  chunk(tokenCount: number, chars: number): void {
    this.tokens.push(tokenCount);
    this.chars.push(chars);
  }

  document(chunks: number): void {
    this.perDocument.push(chunks);
  }

  /** The distribution, or undefined before any chunk and document were stored. */
  sizes(): ChunkSizes | undefined {
    if (this.tokens.length === 0 || this.perDocument.length === 0) return undefined;
    const tokens = [...this.tokens].sort((a, b) => a - b);
    const perDocument = [...this.perDocument].sort((a, b) => a - b);
    return {
      tokens: { p10: rank(tokens, 10), p50: rank(tokens, 50), p90: rank(tokens, 90), mean: Math.round(mean(tokens)) },
      meanChars: Math.round(mean(this.chars)),
      chunksPerDocument: { p50: rank(perDocument, 50), p90: rank(perDocument, 90), max: perDocument.at(-1)!, mean: round1(mean(perDocument)) },
    };
  }
}

/** One line for the human summary. */
export function formatChunkSizes(s: ChunkSizes): string {
  const { tokens: t, chunksPerDocument: d } = s;
  return `chunk sizes: p10/p50/p90 ${t.p10}/${t.p50}/${t.p90} tokens (mean ${t.mean}, ${s.meanChars} chars); ${d.mean} chunks per document (p50 ${d.p50}, p90 ${d.p90}, max ${d.max})`;
}
