import { runEmbeddedScenario } from './embedded/scenario.ts';
const docs = Number(process.argv[2] ?? 1000);
const dbl = process.argv[3] === 'double';
const r = await runEmbeddedScenario({ id: `bench-emb${Date.now() % 100000}`, title: 't', embedder: dbl ? 'double' : 'hash', kind: 'scaling', docs, warmupDocs: 50, cooldownS: 1, embedDim: 384, env: { EMBED_BATCH_SIZE: '16', EMBED_CONCURRENCY: '2' }, ...(dbl ? { double: { latencyMs: 50, concurrency: 2 } } : {}), chunker: { maxTokens: 256, overlapTokens: 32 }, logDir: 'bench/results/logs' }, console.log);
const { series, ...rest } = r;
console.log(JSON.stringify(rest, null, 1)); console.log(series.slice(0, 3));
