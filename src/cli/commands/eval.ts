/**
 * `era-ingest eval`: retrieval and routing quality per embedder on a labelled question set
 * (src/cli/eval/). Contract: every option, the set file and the corpus are checked before anything
 * is ingested (exit 2 naming the problem); one evaluation per embedder, one after another, each
 * in its own temporary store, asked in every search mode of --mode; exit 1 when a document could not be ingested or the run was
 * interrupted (SIGINT/SIGTERM stop the run in progress and remove its store), else 0, whatever
 * the figures.
 */
import { statSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import type { SearchMode } from '../../storage/hybrid-search.ts';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';

interface EvalCliOptions {
  mode?: string;
  set?: string;
  corpus?: string;
  embedder?: string;
  json?: boolean;
  out?: string;
  verbose?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('retrieval quality as a figure: recall@1, recall@3, MRR and minister routing accuracy on a labelled question set, per embedder')
    .option('--set <file>', 'labelled question set (JSON: documents → minister, questions → answers); default: the bundled eval/samples.json')
    .option('--corpus <dir>', 'the folder of documents the set was written for (file keys are paths relative to it); default: the bundled samples/')
    .option('--embedder <list>', 'comma list of embedders to compare, e.g. hash,ollama (default: EMBEDDER); OLLAMA_HOST, EMBED_MODEL, EMBED_DIM … apply')
    .option('--mode <list>', 'comma list of search modes to measure, each over the same ingest: vector, text, hybrid (default: hybrid, as search)')
    .option('--json', 'print the figures as JSON')
    .option('--out <file>', 'also write the JSON figures to this file')
    .option('--verbose', 'list each question whose first document is not an answer, with what came first, and each misrouted document')
    .addHelpText('after', [
      '',
      'For every embedder the corpus is ingested into a fresh temporary embedded store exactly as `era-ingest run` does',
      '(removed afterwards), and every question is asked as `era-ingest search` does, in each --mode; documents rank by their best chunk.',
      'recall@k = |answers in the top k| / min(k, |answers|), averaged; MRR = 1 / rank of the first answer (0 beyond 10);',
      'routing = share of stored chunks routed to their document\'s minister. Targets (semantic models): recall@3 ≥ 0.90,',
      'routing ≥ 0.95; the hash embedder is lexical and shown as the baseline. Exit code 2 for a bad set file or option,',
      '1 when a document could not be ingested, 0 otherwise (whether or not the targets are met).',
      'Example:  EMBEDDER=ollama OLLAMA_HOST=http://127.0.0.1:11434 EMBED_MODEL=all-minilm era-ingest eval --embedder hash,ollama --mode vector,text,hybrid',
    ].join('\n'))
    .action(async (options: EvalCliOptions) => {
      const [{ loadQuestionSet, DEFAULT_CORPUS, DEFAULT_QUESTION_SET }, { evaluateEmbedder }, { formatReport, reportJson }, { ConfigError }] = await Promise.all([
        import('../eval/question-set.ts'), import('../eval/evaluate.ts'), import('../eval/report.ts'), import('../../errors/pipeline-error.ts'),
      ]);
      // Everything a person can get wrong is checked before the first (slow) ingest.
      const configs = embedderConfigs(options.embedder);
      const modes = await searchModes(options.mode);
      const setPath = options.set ?? DEFAULT_QUESTION_SET;
      let set;
      try {
        set = loadQuestionSet(setPath);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
        throw error;
      }
      const corpus = resolve(options.corpus ?? DEFAULT_CORPUS);
      if (!statSync(corpus, { throwIfNoEntry: false })?.isDirectory()) {
        throw new CliError(`--corpus ${options.corpus ?? corpus}: no such folder; give the folder of documents ${setPath} was written for`, EXIT.usage);
      }
      if (options.out && !statSync(dirname(resolve(options.out)), { throwIfNoEntry: false })?.isDirectory()) {
        throw new CliError(`--out ${options.out}: the folder ${dirname(resolve(options.out))} does not exist`, EXIT.usage);
      }

      // Paths as a person would type them here: relative below the working directory, else absolute.
      const shownPath = (path: string): string => {
        const rel = relative(process.cwd(), resolve(path));
        return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : rel;
      };
      const shown = { set: shownPath(setPath), corpus: shownPath(corpus) };
      const progress = (line: string) => process.stderr.write(`era-ingest eval: ${line}\n`);
      // Ctrl-C stops the run in progress, so its temporary store is removed before the exit.
      const interrupt = new AbortController();
      const stop = (): void => interrupt.abort();
      process.once('SIGINT', stop).once('SIGTERM', stop);
      const evaluations = [];
      try {
        for (const config of configs) {
          if (interrupt.signal.aborted) break;
          evaluations.push(...await evaluateEmbedder(set, config, { corpus, modes, onProgress: progress, progressBar: !options.json && process.stderr.isTTY === true, signal: interrupt.signal }));
        }
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
      }
      if (interrupt.signal.aborted) throw new CliError('interrupted; the temporary stores were removed', EXIT.failure);
      const json = reportJson(shown.set, shown.corpus, evaluations);
      if (options.out) writeFileSync(options.out, `${JSON.stringify(json, null, 2)}\n`);
      if (options.json) printJson(json);
      else process.stdout.write(`${formatReport(shown.set, shown.corpus, evaluations, options.verbose === true)}\n`);
      process.exitCode = evaluations.some((e) => e.problems.length > 0) ? EXIT.failure : EXIT.ok;
    });
}

/** The modes of `--mode` (hybrid when unset), each once. @throws CliError (usage) naming a bad one. */
async function searchModes(list: string | undefined): Promise<SearchMode[]> {
  const { DEFAULT_SEARCH_MODE, parseSearchMode } = await import('../../storage/hybrid-search.ts');
  if (list === undefined) return [DEFAULT_SEARCH_MODE];
  const names = [...new Set(list.split(',').map((n) => n.trim()).filter(Boolean))];
  if (names.length === 0) throw new CliError('--mode is empty: give a comma list of search modes, e.g. vector,text,hybrid', EXIT.usage);
  return names.map((name) => {
    try {
      return parseSearchMode(name);
    } catch (error) {
      throw new CliError(`--mode ${(error as Error).message}`, EXIT.usage);
    }
  });
}

/** One validated configuration per embedder named in `list` (EMBEDDER when unset). @throws CliError (usage) naming the bad one. */
function embedderConfigs(list: string | undefined): Config[] {
  if (list === undefined) return [configFrom()];
  const names = [...new Set(list.split(',').map((n) => n.trim()).filter(Boolean))];
  if (names.length === 0) throw new CliError('--embedder is empty: give a comma list of embedders, e.g. hash,ollama', EXIT.usage);
  return names.map((name) => configFrom({ embedder: name }));
}
