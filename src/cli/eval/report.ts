/**
 * What `era-ingest eval` prints: the figures of every embedder side by side with the targets,
 * a verdict per embedder, and (verbose) each missed question (another document first, or an
 * answer that fits missing from the top 3) and each misrouted document. Pure:
 * evaluations in, text or a JSON-ready object out.
 *
 * Targets apply to rankings that use a semantic model (vector or hybrid search with one); a
 * lexical embedder (hash) and text search match words, not meaning, and are shown as baselines.
 */
import type { EmbedderEvaluation } from './evaluate.ts';

/** Least figures a semantic model should reach on a labelled set. */
export const SEMANTIC_TARGETS = { recallAt3: 0.9, routing: 0.95 } as const;

export type Verdict = 'PASS' | 'FALL SHORT' | 'lexical baseline' | 'FAILED';

type Judged = Pick<EmbedderEvaluation, 'kind' | 'recallAt3' | 'routing' | 'failed'> & Partial<Pick<EmbedderEvaluation, 'mode'>>;

/** True when the ranking matches words only: a lexical embedder, or text search whatever the embedder. */
const lexical = (e: Judged): boolean => e.kind === 'lexical' || e.mode === 'text';

/** A target not reached, in words (`recall@3 0.872 < 0.90`); empty when all are met or none apply. */
export function shortfalls(e: Judged): string[] {
  if (lexical(e) || e.failed) return [];
  const out: string[] = [];
  if (e.recallAt3 < SEMANTIC_TARGETS.recallAt3) out.push(`recall@3 ${e.recallAt3.toFixed(3)} < ${SEMANTIC_TARGETS.recallAt3.toFixed(2)}`);
  if (e.routing < SEMANTIC_TARGETS.routing) out.push(`routing ${e.routing.toFixed(3)} < ${SEMANTIC_TARGETS.routing.toFixed(2)}`);
  return out;
}

export function verdict(e: Judged): Verdict {
  if (e.failed) return 'FAILED';
  if (lexical(e)) return 'lexical baseline';
  return shortfalls(e).length ? 'FALL SHORT' : 'PASS';
}

/** The JSON form (`--json`, `--out`): the evaluations with their targets and verdicts (NaN figures become null). */
export function reportJson(set: string, corpus: string, evaluations: readonly EmbedderEvaluation[]): object {
  return {
    set,
    corpus,
    targets: { semantic: SEMANTIC_TARGETS, lexical: null },
    embedders: evaluations.map((e) => ({ ...e, targets: lexical(e) ? null : SEMANTIC_TARGETS, verdict: verdict(e), shortfalls: shortfalls(e) })),
  };
}

/** The table of figures, one column per embedder and search mode, the targets beside them; then misses when `verbose`. */
export function formatReport(set: string, corpus: string, evaluations: readonly EmbedderEvaluation[], verbose = false): string {
  const target = (key: keyof typeof SEMANTIC_TARGETS) => `≥ ${SEMANTIC_TARGETS[key].toFixed(2)}`;
  const figure = (n: number) => (Number.isNaN(n) ? '–' : n.toFixed(3));
  const rows: string[][] = [
    ['', ...evaluations.map((e) => `${e.embedder} (${e.model})`), 'target (semantic model)'],
    ['mode', ...evaluations.map((e) => e.mode), ''],
    ['recall@1', ...evaluations.map((e) => figure(e.recallAt1)), '–'],
    ['recall@3', ...evaluations.map((e) => figure(e.recallAt3)), target('recallAt3')],
    ['MRR (top 10)', ...evaluations.map((e) => figure(e.mrr)), '–'],
    ['routing', ...evaluations.map((e) => figure(e.routing)), target('routing')],
    ['questions', ...evaluations.map((e) => String(e.questions)), ''],
    ['documents', ...evaluations.map((e) => String(e.documents)), ''],
    ['chunks', ...evaluations.map((e) => String(e.chunks)), ''],
    ['seconds', ...evaluations.map((e) => `${e.seconds.total.toFixed(1)} (ingest ${e.seconds.ingest.toFixed(1)})`), ''],
    ['verdict', ...evaluations.map((e) => verdict(e)), ''],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...r[c]!].length)));
  const lines = [`retrieval quality: ${set} over ${corpus}`, ''];
  for (const r of rows) lines.push(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  for (const e of evaluations) {
    const short = shortfalls(e);
    const name = `${e.embedder} ${e.mode}`;
    if (short.length) lines.push('', `${name}: FALL SHORT: ${short.join(', ')}`);
    if (e.problems.length && e === evaluations.find((o) => o.embedder === e.embedder)) lines.push('', `${e.embedder}: ${e.problems.length} problem(s) while ingesting:`, ...e.problems.slice(0, 20).map((p) => `  ${p}`));
    if (!verbose) continue;
    if (e.misses.length) {
      lines.push('', `${name}: ${e.misses.length} of ${e.questions} questions with another document first or an answer below the top 3:`);
      for (const m of e.misses) {
        const first = m.first.map((f) => `${f.key} (${f.score.toFixed(3)})`).join(', ');
        const answers = m.answers.map((a) => `${a.key} at ${a.rank ?? '–'}`).join(', ');
        lines.push(`  ${m.id} ${m.question}`, `      first: ${first}`, `      answers: ${answers}`);
      }
    }
    if (e.misrouted.length && e === evaluations.find((o) => o.embedder === e.embedder)) {
      lines.push('', `${e.embedder}: documents with chunks routed to another minister:`);
      for (const m of e.misrouted) lines.push(`  ${m.key} (${m.label}, ${m.chunks} chunks): ${Object.entries(m.to).map(([id, n]) => `${n} to ${id}`).join(', ')}`);
    }
  }
  if (!verbose && evaluations.some((e) => e.misses.length || e.misrouted.length)) lines.push('', '(--verbose lists each missed question and misrouted document)');
  return lines.join('\n');
}
