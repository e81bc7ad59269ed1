import { describe, expect, it } from 'vitest';
import type { EmbedderEvaluation } from '../../../src/cli/eval/evaluate.ts';
import { formatReport, reportJson, shortfalls, verdict } from '../../../src/cli/eval/report.ts';

const base: EmbedderEvaluation = {
  embedder: 'ollama', mode: 'vector', model: 'all-minilm', kind: 'semantic', dimension: 384, questions: 2, documents: 2, chunks: 5,
  recallAt1: 0.5, recallAt3: 0.95, mrr: 0.75, routing: 0.96, seconds: { ingest: 1, questions: 1, total: 2.5 }, problems: [],
  misses: [{ id: 'q2', question: 'Who gets a flu jab?', answers: [{ key: 'h.md', rank: 2 }, { key: 'x.md' }], first: [{ key: 'f.md', score: 0.61 }, { key: 'h.md', score: 0.6 }] }],
  misrouted: [{ key: 'h.md', label: 'health', chunks: 3, to: { finance: 1 } }],
};
const hash: EmbedderEvaluation = { ...base, embedder: 'hash', model: 'hash-v1', kind: 'lexical', recallAt3: 0.5, routing: 0.7, misses: [], misrouted: [] };

describe('eval report', () => {
  it('holds semantic models to the targets and shows hash as the lexical baseline', () => {
    expect(verdict(base)).toBe('PASS');
    expect(verdict({ ...base, recallAt3: 0.89 })).toBe('FALL SHORT');
    expect(shortfalls({ ...base, recallAt3: 0.89, routing: 0.9 })).toEqual(['recall@3 0.890 < 0.90', 'routing 0.900 < 0.95']);
    expect(verdict(hash)).toBe('lexical baseline');
    expect(shortfalls(hash)).toEqual([]);
    expect(verdict({ ...base, failed: true, recallAt3: NaN, routing: NaN })).toBe('FAILED');
  });

  it('prints one column per embedder with the targets beside the figures', () => {
    const text = formatReport('eval/s.json', 'samples', [hash, base]);
    expect(text).toMatch(/^recall@3 +0\.500 +0\.950 +≥ 0\.90$/m);
    expect(text).toMatch(/^routing +0\.700 +0\.960 +≥ 0\.95$/m);
    expect(text).toMatch(/^verdict +lexical baseline +PASS$/m);
    expect(text).toContain('--verbose lists');
    expect(text).not.toContain('q2');
  });

  it('lists misses with what came first, and misrouted documents, when verbose', () => {
    const text = formatReport('eval/s.json', 'samples', [base], true);
    expect(text).toContain('ollama vector: 1 of 2 questions with another document first or an answer below the top 3:');
    expect(text).toContain('  q2 Who gets a flu jab?\n      first: f.md (0.610), h.md (0.600)\n      answers: h.md at 2, x.md at –');
    expect(text).toContain('  h.md (health, 3 chunks): 1 to finance');
  });

  it('labels each column with its search mode, and holds text search to no target whatever the embedder', () => {
    const text = { ...base, mode: 'text' as const, recallAt3: 0.5 };
    expect(verdict(text)).toBe('lexical baseline');
    expect(shortfalls(text)).toEqual([]);
    expect(verdict({ ...base, mode: 'hybrid', recallAt3: 0.89 })).toBe('FALL SHORT');
    const report = formatReport('eval/s.json', 'samples', [{ ...base, mode: 'vector' }, text, { ...base, mode: 'hybrid' }]);
    expect(report).toMatch(/^mode +vector +text +hybrid$/m);
    expect(report).toMatch(/^verdict +PASS +lexical baseline +PASS$/m);
    const json = JSON.parse(JSON.stringify(reportJson('s', 'c', [text]))) as { embedders: Array<Record<string, unknown>> };
    expect(json.embedders[0]).toMatchObject({ mode: 'text', targets: null, verdict: 'lexical baseline' });
  });

  it('shows a failed evaluation without figures, and null in JSON', () => {
    const failed = { ...base, failed: true, recallAt1: NaN, recallAt3: NaN, mrr: NaN, routing: NaN, problems: ['the ingest stopped before the end: DEPENDENCY_TIMEOUT: …'] };
    expect(formatReport('s', 'c', [failed])).toMatch(/^recall@3 +– +≥ 0\.90$/m);
    const json = JSON.parse(JSON.stringify(reportJson('s', 'c', [failed]))) as { embedders: Array<Record<string, unknown>> };
    expect(json.embedders[0]).toMatchObject({ recallAt3: null, verdict: 'FAILED', targets: { recallAt3: 0.9, routing: 0.95 } });
  });
});
