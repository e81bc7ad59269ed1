import { runKafkaScenario } from './kafka/scenario.ts';
const impl = (process.argv[2] ?? 'era-ingest') as 'era-ingest' | 'naive';
const docs = Number(process.argv[3] ?? 100);
const r = await runKafkaScenario({ id: `bench-smoke${Date.now() % 100000}`, title: 't', implementation: impl, embedder: 'hash', kind: 'scaling', docs, warmupDocs: 20, cooldownS: 1, stallMs: 30000, chunker: { maxTokens: 256, overlapTokens: 32 } },
  { settings: { brokers: ['127.0.0.1:29092'], adminDatabaseUrl: 'postgres://postgres@127.0.0.1:25432/postgres', partitions: 6, embedDim: 384, stageEnv: { FLOW_RATE: 'unlimited' }, logDir: 'bench/results/logs' }, keep: false, log: (m) => console.log(new Date().toISOString(), m) });
const { series, ...rest } = r;
console.log(JSON.stringify(rest, null, 1));
console.log(series.slice(0, 5));
