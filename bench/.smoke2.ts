import { measureIndexCost } from './kafka/index-cost.ts';
const r = await measureIndexCost({ adminDatabaseUrl: 'postgres://postgres@127.0.0.1:25432/postgres', id: `bench_ix${Date.now() % 100000}`, chunks: Number(process.argv[2] ?? 4000), batchSize: 256, embedDim: 384, chunker: { maxTokens: 256, overlapTokens: 32 }, keep: false, log: console.log });
console.log(r);
