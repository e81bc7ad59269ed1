import { randomUUID } from 'node:crypto';
import { rawLimits } from '../topics/raw-document.ts';
import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../config/schema.ts';
import { createEmbedder } from '../embedding/create-embedder.ts';
import { readDocuments } from '../embedded/files.ts';
import { ingest, type RunSummary } from '../embedded/pipeline.ts';
import { loadMinistersFile } from '../stages/minister/ministers-file.ts';
import { buildProfiles } from '../stages/minister/profiles.ts';
import { upsertMinisterProfiles } from '../storage/ministers.ts';
import { openStore, type StoreChoice } from './open-store.ts';

export interface RunEmbeddedOptions {
  jobId?: string;
  progress: boolean;
}

/** `era-ingest run`: embedded ingest with a progress bar and a printed summary. */
export async function runEmbeddedCommand(paths: string[], config: Config, store: StoreChoice, { jobId = `job-${randomUUID()}`, progress }: RunEmbeddedOptions): Promise<RunSummary & { jobId: string; store: string }> {
  const ministers = loadMinistersFile(config.ministersFile);
  const embedder = createEmbedder(config);
  const { client, where } = await openStore(store, config);
  const bar = progress ? new SingleBar({ format: ' {bar} {value} docs | {chunks} chunks | {rate} chunks/s | {failures} failed', hideCursor: true }, Presets.shades_classic) : undefined;
  const started = Date.now();
  try {
    await upsertMinisterProfiles(client, ministers);
    const profiles = await buildProfiles(ministers, embedder);
    bar?.start(0, 0, { chunks: 0, rate: 0, failures: 0 });
    const summary = await ingest(readDocuments(paths, rawLimits(config)), {
      client,
      embedder,
      profiles,
      chunker: { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap },
      embedBatchSize: config.embedBatchSize,
      embedConcurrency: config.embedConcurrency,
      nowMs: started,
      jobId,
      onProgress: (p) => {
        bar?.setTotal(p.documentsRead);
        bar?.update(p.documentsStored, { chunks: p.chunksStored, rate: Math.round(p.chunksStored / Math.max(0.001, (Date.now() - started) / 1000)), failures: p.failures });
      },
    });
    bar?.stop();
    return { ...summary, jobId, store: where };
  } finally {
    bar?.stop();
    await embedder.close?.();
    await client.close();
  }
}

/** The human summary printed after a run. */
export function formatSummary(s: RunSummary & { jobId: string; store: string }, lexical: boolean): string {
  const lines = [
    `ingested ${s.documents} documents, ${s.chunks} chunks in ${s.seconds.toFixed(1)} s (${Math.round(s.chunksPerSecond)} chunks/s) into ${s.store}`,
    `  embedded ${s.embedded} chunks, reused ${s.reused} stored vectors${lexical ? ' (hash embedder: lexical, not semantic)' : ''}`,
    `  ministers: ${Object.entries(s.ministers).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}`,
    `  job: ${s.jobId}`,
  ];
  if (s.failures.length) {
    lines.push(`  ${s.failures.length} failed:`);
    for (const f of s.failures.slice(0, 50)) lines.push(`    ${f.origin}: ${f.reason}`);
    if (s.failures.length > 50) lines.push(`    … and ${s.failures.length - 50} more (use --json for all)`);
  }
  return lines.join('\n');
}
