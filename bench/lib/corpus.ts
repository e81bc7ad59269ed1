/**
 * The benchmark corpus: deterministic documents of realistic size (Markdown, headings,
 * paragraphs across the shipped ministers' domains), built from the test corpus's paragraphs.
 * Document `i` of a run is always the same bytes, apart from the run's `tag`, which makes
 * every document of a run new content (a new content hash), so nothing is served from the
 * embedding cache of an earlier run.
 *
 * With the default chunker settings (CHUNK_TOKENS 256, CHUNK_OVERLAP 32) a document of the
 * default shape is ~3.5 KB and cuts into about 4 chunks of ~200 tokens.
 */
import { createHash } from 'node:crypto';
import { corpusDocument } from '../../test/helpers/corpus.ts';
import type { RawDocument } from '../../src/topics/messages.ts';

/** Distinct paragraphs of the test corpus by topic, in a stable order. */
const BY_TOPIC: ReadonlyMap<string, readonly string[]> = (() => {
  const byTopic = new Map<string, Set<string>>();
  for (let i = 0; i < 64; i++) {
    const doc = corpusDocument(i);
    const topic = String(doc.metadata?.topic ?? 'general');
    const set = byTopic.get(topic) ?? new Set<string>();
    byTopic.set(topic, set);
    for (const line of doc.text.split('\n')) {
      if (line.length > 80 && !line.startsWith('#') && !line.startsWith('Reference')) set.add(line);
    }
  }
  return new Map([...byTopic].map(([t, s]) => [t, [...s]]));
})();
const PARAGRAPHS: readonly string[] = [...BY_TOPIC.values()].flat();

export interface BenchDocumentOptions {
  /** Markdown sections per document. @defaultValue 2 */
  sections?: number;
  /** Paragraphs per section (each ~35 words). @defaultValue 6 */
  paragraphsPerSection?: number;
  /** Run tag, part of every document's id and text. @defaultValue 'bench' */
  tag?: string;
  jobId?: string;
}

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Document `i` of the benchmark corpus. */
export function benchDocument(i: number, { sections = 2, paragraphsPerSection = 6, tag = 'bench', jobId }: BenchDocumentOptions = {}): RawDocument {
  // The same shape (paragraph choice, length) whatever the tag: only a short marker differs.
  const next = prng(i * 2654435761);
  const mark = createHash('sha256').update(tag).digest('hex').slice(0, 6);
  const base = corpusDocument(i);
  const topic = String(base.metadata?.topic ?? 'general');
  const lines = [`# Report ${mark}-${i} on ${topic}`, ''];
  for (let s = 0; s < sections; s++) {
    lines.push(`## Part ${s + 1}`, '');
    for (let p = 0; p < paragraphsPerSection; p++) {
      // Mostly the document's own domain (routing is then meaningful), sometimes another one.
      const own = BY_TOPIC.get(topic) ?? [];
      const pool = next() < 0.75 && own.length > 0 ? own : PARAGRAPHS;
      lines.push(`${pool[Math.floor(next() * pool.length)]!} (${mark}-${i}.${s}.${p})`, '');
    }
  }
  const doc: RawDocument = { id: `${tag}-${i}`, text: lines.join('\n'), title: `Report ${mark}-${i}`, source: `bench://${tag}/${i}`, metadata: { topic, index: i } };
  if (jobId !== undefined) doc.jobId = jobId;
  return doc;
}

/** `count` documents starting at `from`. */
export function* benchDocuments(count: number, options: BenchDocumentOptions & { from?: number } = {}): Generator<RawDocument> {
  const { from = 0, ...rest } = options;
  for (let i = from; i < from + count; i++) yield benchDocument(i, rest);
}
