import type { Command } from 'commander';
import type { SearchFilters } from '../../storage/search-filters.ts';
import type { SearchHit } from '../../storage/search.ts';
import { CliError, configFrom, EXIT, printJson, DEFAULT_DATA_DIR } from '../context.ts';

interface SearchCliOptions {
  mode: string;
  minister?: string;
  category?: string;
  source?: string;
  metadata?: string;
  k: string;
  db?: string;
  dataDir?: string;
  model?: string;
  json?: boolean;
}

/** The last line of a lexical search (and so of `npm start`): how to search by meaning instead. */
export const LEXICAL_TIP = 'These hits match words (EMBEDDER=hash). To search by meaning with the real model: OLLAMA_HOST=$(infra/ollama/ollama.sh start) EMBEDDER=ollama npx era-ingest run samples --data-dir .era-data-minilm, then the same search with EMBEDDER=ollama --data-dir .era-data-minilm (the first start builds Ollama, about 9 minutes).';

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('search the stored chunks (current document versions only) by meaning and by words, fused (hybrid), or by either alone')
    .argument('<query>', 'text to search for; in text and hybrid modes a "quoted phrase" must match as a phrase')
    .option('--mode <mode>', 'vector (by meaning: the query embedded by EMBED_MODEL), text (PostgreSQL full-text search: words, identifiers, phrases) or hybrid (both, by reciprocal rank fusion)', 'hybrid')
    .option('--minister <id>', 'only this minister')
    .option('--category <id>', 'only this category')
    .option('--source <prefix>', 'only documents whose source starts with this text, e.g. file:///docs/ or taxpayer-help')
    .option('--metadata <json>', 'only documents whose metadata contains this JSON object, e.g. \'{"type":"faq"}\'')
    .option('-k <n>', 'number of results', '5')
    .option('--db <url>', 'PostgreSQL to search (DATABASE_URL); default: PGlite in --data-dir')
    .option('--data-dir <dir>', 'PGlite data directory `era-ingest run` ingested into (one without a store is refused)', DEFAULT_DATA_DIR)
    .option('--model <name>', 'embed the query with this model and search its vectors (a re-embedded set, see reembed); default EMBED_MODEL')
    .option('--json', 'machine-readable output')
    // A query may start with a dash ("-2% growth"): unknown option-like words reach the action,
    // which takes one that cannot be an option as the query and refuses the rest.
    .allowUnknownOption()
    .action(async (query: string, options: SearchCliOptions, command: Command) => {
      const extra = command.args.slice(1);
      if (extra.length > 0 || /^--?[A-Za-z][\w-]*(=.*)?$/.test(query)) {
        const culprit = /^-/.test(query) ? query : extra[0]!;
        throw new CliError(`${/^-/.test(culprit) ? `unknown option ${culprit}` : `unexpected argument ${JSON.stringify(culprit)}`}: quote the whole query as one argument; ` +
          'a query that looks like an option goes after --, e.g. era-ingest search -- "--verbose logging"', EXIT.usage);
      }
      const k = Number(options.k);
      if (!Number.isInteger(k) || k < 1 || k > 1000) throw new CliError(`-k ${options.k} is invalid: give a whole number from 1 to 1000`, EXIT.usage);
      if (query.trim() === '') throw new CliError('the query is empty: give some text to search for', EXIT.usage);
      const [{ parseSearchMode, needsVector, searchWithEmbedder }, { parseMetadataFilter }] = await Promise.all([
        import('../../storage/hybrid-search.ts'), import('../../storage/search-filters.ts'),
      ]);
      const usage = (flag: string, parse: () => void): void => {
        try {
          parse();
        } catch (error) {
          throw new CliError(`${flag} ${(error as Error).message}`, EXIT.usage);
        }
      };
      let mode!: ReturnType<typeof parseSearchMode>;
      usage('--mode', () => (mode = parseSearchMode(options.mode)));
      const filters: SearchFilters = {
        ...(options.minister ? { minister: options.minister } : {}),
        ...(options.category ? { category: options.category } : {}),
        ...(options.source ? { sourcePrefix: options.source } : {}),
      };
      if (options.metadata !== undefined) usage('--metadata', () => (filters.metadata = parseMetadataFilter(options.metadata!)));
      const config = configFrom({ databaseUrl: options.db });
      const [{ createEmbedder }, { openStore }, { getModel }] = await Promise.all([
        import('../../embedding/create-embedder.ts'), import('../open-store.ts'), import('../../storage/model-vectors.ts'),
      ]);
      // With --model the pipeline's own model is not used: it is not probed either.
      const { client, config: settled } = await openStore({ url: config.databaseUrl, dataDir: options.dataDir }, config, { verify: !options.model });
      let embedder: ReturnType<typeof createEmbedder> | undefined;
      try {
        const registered = options.model ? await getModel(client, options.model) : undefined;
        embedder = createEmbedder(options.model ? { ...settled, embedModel: options.model, embedDim: registered?.dimension ?? 'any' } : settled);
        const hits = await searchWithEmbedder(client, embedder, mode, query, { k, ...filters });
        if (options.json) return printJson(hits.map((h) => ({ ...h })));
        process.stdout.write(hits.length === 0 ? 'no results\n' : formatHits(hits));
        // On run's embedded store, say how to browse it (npm start ends with this search).
        if (!config.databaseUrl) process.stderr.write(`${consoleTip(options.dataDir, config.apiPort)}\n`);
        if (embedder.kind === 'lexical' && needsVector(mode)) process.stderr.write(`${LEXICAL_TIP}\n`);
      } finally {
        await embedder?.close?.();
        await client.close();
      }
    });
}

/** The command that opens the web console on an embedded store, and where. */
export function consoleTip(dataDir: string | undefined, port: number): string {
  const dir = dataDir && dataDir !== DEFAULT_DATA_DIR ? ` --data-dir ${dataDir}` : '';
  return `Browse this store in the web console: npx era-ingest serve${dir}, then open http://127.0.0.1:${port || 8080}/ (search, documents, jobs, dead letters, flow, ministers).`;
}

/**
 * The human form of hits: rank, score, title, where it was filed, then the matched passage (the
 * text search's snippet, matched words between « and », or the start of the chunk), then the
 * document's source, heading path and metadata, and the ids.
 */
export function formatHits(hits: readonly SearchHit[]): string {
  return hits.map((h, i) => {
    const where = [h.ministerId, h.category].filter(Boolean).join('/');
    const found = [h.ranks.vector !== undefined ? `vector #${h.ranks.vector}` : '', h.ranks.text !== undefined ? `text #${h.ranks.text}` : ''].filter(Boolean).join(', ');
    const passage = h.passage.replace(/\s+/g, ' ').trim();
    const lines = [
      `${i + 1}. [${h.score.toFixed(3)}] ${h.title ?? h.docId} (${where}; ${found})`,
      `   ${passage.slice(0, 240)}${passage.length > 240 ? '…' : ''}`,
    ];
    if (h.headingPath.length > 0) lines.push(`   section: ${h.headingPath.join(' › ')}`);
    if (h.source !== null) lines.push(`   source: ${h.source}`);
    if (h.metadata !== null && Object.keys(h.metadata).length > 0) lines.push(`   metadata: ${JSON.stringify(h.metadata)}`);
    lines.push(`   ${h.docId}#${h.chunkId.slice(0, 12)}`);
    return `${lines.join('\n')}\n`;
  }).join('');
}
