import type { Command } from 'commander';
import { CliError, configFrom, EXIT, printJson } from '../context.ts';

interface SearchCliOptions {
  minister?: string;
  category?: string;
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
    .description('semantic search over the stored chunks (current document versions only)')
    .argument('<query>', 'text to search for')
    .option('--minister <id>', 'only this minister')
    .option('--category <id>', 'only this category')
    .option('-k <n>', 'number of results', '5')
    .option('--db <url>', 'PostgreSQL to search (DATABASE_URL); default: PGlite in --data-dir')
    .option('--data-dir <dir>', 'PGlite data directory', '.era-data')
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
      const config = configFrom({ databaseUrl: options.db });
      const [{ createEmbedder }, { openStore }, { search }, { getModel }] = await Promise.all([
        import('../../embedding/create-embedder.ts'), import('../open-store.ts'), import('../../storage/search.ts'), import('../../storage/model-vectors.ts'),
      ]);
      // With --model the pipeline's own model is not used: it is not probed either.
      const { client, config: settled } = await openStore({ url: config.databaseUrl, dataDir: options.dataDir }, config, { verify: !options.model });
      let embedder: ReturnType<typeof createEmbedder> | undefined;
      try {
        const registered = options.model ? await getModel(client, options.model) : undefined;
        embedder = createEmbedder(options.model ? { ...settled, embedModel: options.model, embedDim: registered?.dimension ?? 'any' } : settled);
        const [vector] = await embedder.embed([query]);
        const hits = await search(client, vector!, { k, model: embedder.model, ...(options.minister ? { minister: options.minister } : {}), ...(options.category ? { category: options.category } : {}) });
        if (options.json) return printJson(hits.map((h) => ({ ...h })));
        if (hits.length === 0) process.stdout.write('no results\n');
        hits.forEach((h, i) => {
          const where = [h.ministerId, h.category].filter(Boolean).join('/');
          const snippet = h.text.replace(/\s+/g, ' ').slice(0, 240);
          process.stdout.write(`${i + 1}. [${h.score.toFixed(3)}] ${h.title ?? h.docId} (${where})\n   ${snippet}${h.text.length > 240 ? '…' : ''}\n   ${h.docId}#${h.chunkId.slice(0, 12)}\n`);
        });
        if (embedder.kind === 'lexical') process.stderr.write(`${LEXICAL_TIP}\n`);
      } finally {
        await embedder?.close?.();
        await client.close();
      }
    });
}
