/**
 * What `era-ingest eval` prints: the figures of every embedder side by side with the targets,
 * a verdict per embedder, and (verbose) each missed question (another document first, or an
 * answer that fits missing from the top 3) and each misrouted document. Pure:
 * evaluations in, text or a JSON-ready object out.
 *
 * Targets apply to semantic models only; a lexical embedder (hash) matches words, not meaning,
 * and is shown as the baseline the model has to beat.
 */
import type { EmbedderEvaluation } from './evaluate.ts';

/** Least figures a semantic model should reach on a labelled set. */
export const SEMANTIC_TARGETS = { recallAt3: 0.9, routing: 0.95 } as const;

export type Verdict = 'PASS' | 'FALL SHORT' | 'lexical baseline' | 'FAILED';

/** A target not reached, in words (`recall@3 0.872 < 0.90`); empty when all are met or none apply. */
export function shortfalls(e: Pick<EmbedderEvaluation, 'kind' | 'recallAt3' | 'routing' | 'failed'>): string[] {
  if (e.kind === 'lexical' || e.failed) return [];
  const out: string[] = [];
  if (e.recallAt3 < SEMANTIC_TARGETS.recallAt3) out.push(`recall@3 ${e.recallAt3.toFixed(3)} < ${SEMANTIC_TARGETS.recallAt3.toFixed(2)}`);
  if (e.routing < SEMANTIC_TARGETS.routing) out.push(`routing ${e.routing.toFixed(3)} < ${SEMANTIC_TARGETS.routing.toFixed(2)}`);
  return out;
}

export function verdict(e: Pick<EmbedderEvaluation, 'kind' | 'recallAt3' | 'routing' | 'failed'>): Verdict {
  if (e.failed) return 'FAILED';
  if (e.kind === 'lexical') return 'lexical baseline';
  return shortfalls(e).length ? 'FALL SHORT' : 'PASS';
}

/** The JSON form (`--json`, `--out`): the evaluations with their targets and verdicts (NaN figures become null). */
export function reportJson(set: string, corpus: string, evaluations: readonly EmbedderEvaluation[]): object {
  return {
    set,
    corpus,
    targets: { semantic: SEMANTIC_TARGETS, lexical: null },
    embedders: evaluations.map((e) => ({ ...e, targets: e.kind === 'semantic' ? SEMANTIC_TARGETS : null, verdict: verdict(e), shortfalls: shortfalls(e) })),
  };
}

/** The table of figures, one column per embedder, the targets beside them; then misses when `verbose`. */
export function formatReport(set: string, corpus: string, evaluations: readonly EmbedderEvaluation[], verbose = false): string {
  const target = (key: keyof typeof SEMANTIC_TARGETS) => `≥ ${SEMANTIC_TARGETS[key].toFixed(2)}`;
  const figure = (n: number) => (Number.isNaN(n) ? '–' : n.toFixed(3));
  const rows: string[][] = [
    ['', ...evaluations.map((e) => `${e.embedder} (${e.model})`), 'target (semantic model)'],
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
    if (short.length) lines.push('', `${e.embedder}: FALL SHORT: ${short.join(', ')}`);
    if (e.problems.length) lines.push('', `${e.embedder}: ${e.problems.length} problem(s) while ingesting:`, ...e.problems.slice(0, 20).map((p) => `  ${p}`));
    if (!verbose) continue;
    if (e.misses.length) {
      lines.push('', `${e.embedder}: ${e.misses.length} of ${e.questions} questions with another document first or an answer below the top 3:`);
      for (const m of e.misses) {
        const first = m.first.map((f) => `${f.key} (${f.score.toFixed(3)})`).join(', ');
        const answers = m.answers.map((a) => `${a.key} at ${a.rank ?? '–'}`).join(', ');
        lines.push(`  ${m.id} ${m.question}`, `      first: ${first}`, `      answers: ${answers}`);
      }
    }
    if (e.misrouted.length) {
      lines.push('', `${e.embedder}: documents with chunks routed to another minister:`);
      for (const m of e.misrouted) lines.push(`  ${m.key} (${m.label}, ${m.chunks} chunks): ${Object.entries(m.to).map(([id, n]) => `${n} to ${id}`).join(', ')}`);
    }
  }
  if (!verbose && evaluations.some((e) => e.misses.length || e.misrouted.length)) lines.push('', '(--verbose lists each missed question and misrouted document)');
  return lines.join('\n');
}
