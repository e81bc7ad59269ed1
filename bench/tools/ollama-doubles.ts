/**
 * Several Ollama-API TEST DOUBLES at once, for the "two embedder hosts ≥ 1.8× one" what-if: each
 * answers /api/embed with hash vectors after `latency` + `item-latency` per input and serves
 * `concurrency` requests at a time (more get 503), like the bench's own double. Prints
 * `OLLAMA_HOST=<url>,<url>…` for `--stage-env`, then runs until SIGINT/SIGTERM and prints each
 * double's requests and inputs.
 *
 *   node --import tsx bench/tools/ollama-doubles.ts --hosts 2 [--latency 20] [--item-latency 2] [--concurrency 2] [--dim 384]
 *   npx era-ingest bench --mode kafka --scenarios scaling --docs 2500 --embedder double \
 *     --stage-env OLLAMA_HOST=<both> --stage-env EMBED_CONCURRENCY=4
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { startOllamaDouble } from '../../test/helpers/ollama-double.ts';

const { values } = parseArgs({ options: {
  hosts: { type: 'string', default: '2' }, latency: { type: 'string', default: '20' }, 'item-latency': { type: 'string', default: '2' },
  concurrency: { type: 'string', default: '2' }, dim: { type: 'string', default: '384' },
} });
const doubles = await Promise.all(Array.from({ length: Number(values.hosts) }, async () => {
  const d = await startOllamaDouble({ dimension: Number(values.dim), maxConcurrent: Number(values.concurrency) });
  d.setLatency(Number(values.latency), Number(values['item-latency']));
  return d;
}));
process.stdout.write(`OLLAMA_HOST=${doubles.map((d) => d.url).join(',')}\n`);
await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
for (const d of doubles) process.stdout.write(`${d.url}: ${d.calls} requests, ${d.inputs} inputs\n`);
await Promise.all(doubles.map((d) => d.close()));
