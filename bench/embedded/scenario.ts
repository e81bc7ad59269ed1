/**
 * An embedded-mode scenario: the worker (./worker.ts) in a child process, its /proc figures
 * sampled from here, its progress lines turned into the time series. With the Ollama test
 * double, the double runs in this process and the worker calls it over HTTP; with a real model
 * (`model`), the worker calls that server, whose CPU is counted as a service when it runs here.
 */
import { cpus } from 'node:os';
import { startOllamaDouble, type OllamaDouble } from '../../test/helpers/ollama-double.ts';
import { spawnChild } from '../lib/child.ts';
import { clockTicksPerSecond, kbToMb, ProcessSampler, readMachineCpu } from '../lib/proc.ts';
import { bucketSeries, counterRates, peakWindow, ratio, summarize } from '../lib/stats.ts';
import type { EmbedderChoice, ModelServer, ScenarioKind, ScenarioResult } from '../lib/types.ts';
import { describeModel, embedderEnv, serverServiceName } from '../lib/model.ts';
import { ModelServerCpu } from '../model/server.ts';
import { benchDocument } from '../lib/corpus.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import { describeDouble, doubleBatchMs, type DoubleSettings } from '../lib/targets.ts';

export interface EmbeddedScenarioSpec {
  id: string;
  title: string;
  embedder: EmbedderChoice;
  kind: ScenarioKind;
  docs: number;
  warmupDocs: number;
  cooldownS: number;
  embedDim: number;
  /** EMBED_BATCH_SIZE, EMBED_CONCURRENCY, CHUNK_TOKENS, … for the worker. */
  env: Record<string, string>;
  double?: DoubleSettings;
  /** A real model server instead of the hash embedder; not with `double`. */
  model?: ModelServer;
  chunker: { maxTokens: number; overlapTokens: number };
  logDir: string;
  cpuProfDir?: string;
}

interface Progress {
  at: number;
  documentsStored: number;
  chunksStored: number;
}

export async function runEmbeddedScenario(spec: EmbeddedScenarioSpec, log: (m: string) => void): Promise<ScenarioResult> {
  const notes: string[] = ['embedded mode has no publish step: latency is read→stored (document read by the pipeline → its store batch committed)', 'PGlite skips the HNSW index migration (built after a bulk load instead); search uses an exact scan'];
  const result: ScenarioResult = {
    id: spec.id, title: spec.title, mode: 'embedded', implementation: 'era-ingest', embedder: spec.embedder, kind: spec.kind,
    docs: spec.docs, chunks: 0, warmupDocs: spec.warmupDocs, storedDocs: 0, storedChunks: 0, seconds: 0, docsPerSec: 0, chunksPerSec: 0,
    successRate: 0, dlq: 0, processes: [], stages: [], series: [], settings: {}, notes,
  };
  for (let i = 0; i < spec.docs; i++) result.chunks += chunkDocument(benchDocument(i, { tag: `${spec.id}-m` }), { version: 1 }, spec.chunker).length;
  let double: OllamaDouble | undefined;
  const sampler = new ProcessSampler(250);
  const serverCpu = spec.model ? new ModelServerCpu(spec.model.host) : undefined;
  try {
    if (spec.double) {
      double = await startOllamaDouble({ dimension: spec.embedDim, maxConcurrent: spec.double.concurrency });
      double.setLatency(spec.double.latencyMs, spec.double.itemLatencyMs);
    }
    const env: Record<string, string> = {
      EMBED_DIM: String(spec.embedDim), LOG_LEVEL: 'warn',
      ...embedderEnv({ doubleUrl: double?.url, model: spec.model }),
      ...spec.env,
    };
    result.settings = { ...env, store: 'PGlite (fresh, temporary data directory)', ...(double ? { OLLAMA_HOST: `${double.url} (TEST DOUBLE: ${describeDouble(spec.double!)})` } : {}), ...(spec.model ? { OLLAMA_HOST: `${spec.model.host} (REAL MODEL: ${describeModel(spec.model)})` } : {}) };
    const progress: Progress[] = [];
    let final: Record<string, unknown> | undefined;
    let measuringAt = 0;
    const child = spawnChild({
      name: 'embedded',
      entry: 'bench/embedded/worker.ts',
      args: [JSON.stringify({ tag: spec.id, docs: spec.docs, warmupDocs: spec.warmupDocs, env })],
      env,
      logFile: `${spec.logDir}/${spec.id}.log`,
      ...(spec.cpuProfDir ? { cpuProfDir: `${spec.cpuProfDir}/${spec.id}` } : {}),
      onLine: (line) => {
        if (!line.startsWith('{')) return;
        const m = JSON.parse(line) as Record<string, unknown>;
        if (m.type === 'progress') progress.push(m as unknown as Progress);
        else if (m.type === 'measuring') measuringAt = Number(m.at);
        else if (m.type === 'result') final = m;
      },
    });
    sampler.track({ name: 'embedded', pid: child.pid });
    sampler.start();
    log(`${spec.id}: embedded worker started (warm-up ${spec.warmupDocs} documents, then ${spec.docs} documents, ${result.chunks} chunks)`);
    await child.waitFor(/"type":"measuring"/, 600_000);
    const before = { cpu: sampler.sampleNow().get('embedded'), machine: readMachineCpu(), self: process.cpuUsage() };
    serverCpu?.open();
    await child.waitFor(/"type":"result"/, 3_600_000);
    const after = { cpu: sampler.sampleNow().get('embedded'), machine: readMachineCpu(), self: process.cpuUsage() };
    const serverSeconds = serverCpu?.close();
    log(`${spec.id}: cool-down ${spec.cooldownS} s`);
    await new Promise((r) => setTimeout(r, spec.cooldownS * 1000));
    sampler.sampleNow();
    const code = await child.exited;
    if (code !== 0) notes.push(`worker exit code ${code}`);
    if (!final) throw new Error(`the embedded worker gave no result; last output:\n${child.tail().slice(-2000)}`);

    const t0 = Number(final.started) || measuringAt;
    const tEnd = Number(final.ended);
    result.seconds = Math.max(0.001, (tEnd - t0) / 1000);
    result.storedDocs = Number(final.documents);
    result.storedChunks = Number(final.chunks);
    result.docsPerSec = result.storedDocs / result.seconds;
    result.chunksPerSec = result.storedChunks / result.seconds;
    result.successRate = ratio(result.storedDocs, result.docs);
    result.dlq = Number(final.failures);
    const latencies = final.latencies as number[];
    const latency = summarize(latencies);
    if (latency) result.latency = latency;
    const busy = after.machine.total - before.machine.total;
    if (busy > 0) result.machineCpuBusy = (after.machine.busy - before.machine.busy) / busy;
    const hz = clockTicksPerSecond();
    const last = sampler.last('embedded');
    const cpuSeconds = ((after.cpu?.cpuTicks ?? 0) - (before.cpu?.cpuTicks ?? 0)) / hz;
    result.processes.push({
      name: 'embedded', pid: child.pid, peakRssMb: kbToMb(last?.hwmKb ?? 0),
      maxSampledRssMb: kbToMb(Math.max(0, ...(sampler.samples.get('embedded') ?? []).map((s) => s.rssKb))),
      cpuSeconds, cpuShare: cpuSeconds / result.seconds, cpuSecondsTotal: (last?.cpuTicks ?? 0) / hz,
    });
    const selfSeconds = (after.self.user + after.self.system - before.self.user - before.self.system) / 1e6;
    result.services = [{ name: `bench harness${double ? ' (incl. the Ollama test double)' : ''}`, cpuSeconds: selfSeconds, cpuShare: selfSeconds / result.seconds }];
    if (serverSeconds !== undefined) result.services.push({ name: serverServiceName(spec.model!.host), cpuSeconds: serverSeconds, cpuShare: serverSeconds / result.seconds });
    const ours = cpuSeconds / result.seconds + result.services.reduce((sum, v) => sum + v.cpuShare, 0);
    if (result.machineCpuBusy !== undefined) result.otherCpuCores = Math.max(0, result.machineCpuBusy * cpus().length - ours);
    // Per-document completion times from the progress lines (documents complete in order).
    const stored: Array<{ at: number; chunks: number; latencyMs: number }> = [];
    let prevDocs = 0;
    let prevChunks = 0;
    for (const p of progress) {
      const docs = p.documentsStored - prevDocs;
      const chunks = p.chunksStored - prevChunks;
      for (let i = 0; i < docs; i++) stored.push({ at: p.at, chunks: chunks / Math.max(1, docs), latencyMs: latencies[prevDocs + i] ?? 0 });
      prevDocs = p.documentsStored;
      prevChunks = p.chunksStored;
    }
    const series = bucketSeries(stored, t0, tEnd);
    series.forEach((pt) => (pt.rssMb = { embedded: kbToMb(sampler.at('embedded', t0 + (pt.t + 1) * 1000)?.rssKb ?? 0) }));
    result.series = series;
    const chunkCounter = progress.map((p) => ({ at: p.at, value: p.chunksStored }));
    result.stages = [{ name: 'embedded pipeline', records: result.storedChunks, perSecond: result.chunksPerSec, peakPerSecond: peakWindow(counterRates([{ at: t0, value: 0 }, ...chunkCounter], t0, tEnd), 2), maxInputLag: 0 }];
    const phases = final.phases as NonNullable<ScenarioResult['phases']> | undefined;
    if (double || spec.model) {
      result.embeddedChunks = Math.max(0, result.storedChunks - Number(final.reused ?? 0));
      if (phases && phases.embedCalls > 0) {
        const limitShares = final.limits as Record<string, number> | undefined;
        result.embed = {
          requests: phases.embedCalls, meanRequestMs: phases.embedMeanMs, inputsPerRequest: Number(final.embedded) / phases.embedCalls, inFlightS: phases.embedWallS,
          ...(limitShares ? { limitShares } : {}), ...(serverSeconds !== undefined ? { serverCores: serverSeconds / result.seconds } : {}),
        };
      }
    }
    if (phases) {
      result.phases = phases;
      notes.push(`of the ${result.seconds.toFixed(1)} s: ≥ 1 embedding request in flight ${phases.embedWallS.toFixed(1)} s, store transactions ${phases.storeTransactionsS.toFixed(1)} s, other queries (stored-vector lookups) ${phases.otherQueriesS.toFixed(1)} s${phases.storeTransactionsS + phases.embedWallS + phases.otherQueriesS > result.seconds * 0.9 ? ' — they add up to the wall time: embedding and storing do not overlap' : ''}`);
      if (double && phases.embedCalls > 0) {
        const batch = Number(env.EMBED_BATCH_SIZE ?? 16);
        notes.push(`${phases.embedCalls} embed requests, ${phases.embedMeanMs.toFixed(1)} ms each on average (double set to ${doubleBatchMs(spec.double!)} ms per full batch): effective ceiling ${spec.double!.concurrency} × ${batch} / ${phases.embedMeanMs.toFixed(1)} ms = ${((spec.double!.concurrency * batch * 1000) / phases.embedMeanMs).toFixed(0)} chunks/s`);
      }
    }
    if (double) notes.push(`Ollama double answered ${double.calls} requests (${double.inputs} inputs)`);
    log(`${spec.id}: ${result.storedDocs}/${result.docs} documents, ${result.chunksPerSec.toFixed(0)} chunks/s`);
  } catch (error) {
    result.error = (error as Error).message;
    notes.push(`failed: ${(error as Error).message.split('\n')[0]}`);
    log(`${spec.id}: FAILED: ${(error as Error).message}`);
  } finally {
    sampler.stop();
    await double?.close();
  }
  return result;
}
