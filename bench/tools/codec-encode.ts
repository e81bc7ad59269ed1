/**
 * Micro-benchmark behind a recommendation: the internal topics' JSON encoder
 * (src/topics/codec-json.ts `encodeBase`) passes a replacer function to JSON.stringify, which
 * V8 then calls for every key of every value; turning the embedding into base64 first and
 * stringifying without a replacer gives the same bytes. Same input, interleaved rounds.
 *
 *   node --import tsx bench/tools/codec-encode.ts [--chunks 2000] [--rounds 5]
 */
import { createHashEmbedder } from '../../src/embedding/hash-embedder.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import { loadMinistersFile } from '../../src/stages/minister/ministers-file.ts';
import { buildProfiles } from '../../src/stages/minister/profiles.ts';
import { routeValue } from '../../src/stages/minister/route.ts';
import { JSON_CODEC_VERSION, ministersCodec, vectorToBase64 } from '../../src/topics/codec-json.ts';
import type { MinistersValue } from '../../src/topics/messages.ts';
import { benchDocument } from '../lib/corpus.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const count = arg('--chunks', 2000);
const rounds = arg('--rounds', 5);

const embedder = createHashEmbedder({ dimension: 384 });
const profiles = await buildProfiles(loadMinistersFile(), embedder);
const values: MinistersValue[] = [];
for (let i = 0; values.length < count; i++) {
  const chunks = chunkDocument(benchDocument(i), { version: 1 }, { maxTokens: 256, overlapTokens: 32 });
  const vectors = await embedder.embed(chunks.map((c) => c.text));
  chunks.forEach((c, j) => values.push(routeValue({ ...c, embedding: vectors[j]!, model: embedder.model }, profiles)));
}

/** The alternative: base64 first, no replacer. */
function encodeWithoutReplacer(value: MinistersValue): Buffer {
  const out = value.kind === 'chunk' ? { v: JSON_CODEC_VERSION, ...value, embedding: vectorToBase64(value.embedding) } : { v: JSON_CODEC_VERSION, ...value };
  return Buffer.from(JSON.stringify(out));
}

const same = values.every((v) => ministersCodec.encode(v).equals(encodeWithoutReplacer(v)));
const time = (fn: (v: MinistersValue) => Buffer): number => {
  const t = performance.now();
  for (const v of values) fn(v);
  return (performance.now() - t) / values.length;
};
const results = { current: [] as number[], noReplacer: [] as number[], decode: [] as number[] };
const encoded = values.map((v) => ministersCodec.encode(v));
for (let r = 0; r < rounds; r++) {
  results.current.push(time((v) => ministersCodec.encode(v)));
  results.noReplacer.push(time(encodeWithoutReplacer));
  const t = performance.now();
  for (const b of encoded) ministersCodec.decode(b);
  results.decode.push((performance.now() - t) / values.length);
}
const best = (xs: number[]): string => `${(Math.min(...xs) * 1000).toFixed(1)} µs`;
process.stdout.write(`${values.length} era.ministers values, ${(encoded.reduce((s, b) => s + b.length, 0) / encoded.length).toFixed(0)} bytes each; identical bytes: ${same}\n`);
process.stdout.write(`encode, as shipped (replacer):   ${best(results.current)} per value (best of ${rounds})\n`);
process.stdout.write(`encode, base64 first, no replacer: ${best(results.noReplacer)} per value\n`);
process.stdout.write(`decode, as shipped:                ${best(results.decode)} per value\n`);
