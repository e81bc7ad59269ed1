/**
 * A Kafka-mode scenario: warm-up, measurement, cool-down against a fresh BenchPipeline.
 *
 * - scaling / ceiling: publish `docs` documents at once (burst), measure until all are stored;
 * - rate: publish at `rate` documents/s for `durationS`, measure latency under that load;
 * - backlog: publish everything with the stages stopped, then start them and measure the
 *   drain (peak RSS of every stage while it works through the backlog).
 *
 * The window measured runs from the first publish of the measured documents (backlog: the
 * first stage start) to the arrival of the last `era.stored` event. Per-stage throughput comes
 * from the output topics' end offsets; latency from each event's `era.published.at` header.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { PIPELINE } from '../../src/dataflow/pipeline.ts';
import { chunkDocument } from '../../src/stages/chunk/transform.ts';
import type { RawDocument } from '../../src/topics/messages.ts';
import { scrapeMetrics } from '../lib/child.ts';
import { benchDocument } from '../lib/corpus.ts';
import { clockTicksPerSecond, kbToMb, ProcessSampler } from '../lib/proc.ts';
import { bucketSeries, counterRates, peakWindow, ratio, summarize } from '../lib/stats.ts';
import type { EmbedderChoice, Implementation, ScenarioKind, ScenarioResult, StageThroughput } from '../lib/types.ts';
import type { DoubleSettings } from '../lib/targets.ts';
import { OffsetSampler, Publisher, StoredReader, type OffsetSample } from './kafka-io.ts';
import { BenchPipeline, STAGES, type PipelineSettings, type Stage } from './pipeline.ts';
import { findBrokerPid, ServiceCpu } from './services.ts';
import { describeDouble, doubleBatchMs } from '../lib/targets.ts';
import { describeModel, serverServiceName, shares } from '../lib/model.ts';
import { ModelServerCpu } from '../model/server.ts';
import { embedWindow, snapshot, StageMetricsSampler, type Snapshot } from './stage-metrics.ts';

export interface KafkaScenarioSpec {
  id: string;
  title: string;
  implementation: Implementation;
  embedder: EmbedderChoice;
  kind: ScenarioKind;
  docs: number;
  warmupDocs: number;
  /** rate: documents/s and seconds. */
  rate?: { perSecond: number; seconds: number };
  cooldownS: number;
  /** Give up when no document was stored for this long, ms. */
  stallMs: number;
  chunker: { maxTokens: number; overlapTokens: number };
}

export interface KafkaContext {
  settings: PipelineSettings;
  keep: boolean;
  /** Publish with an era.job header. @defaultValue true */
  job?: boolean;
  log: (message: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function docsOf(tag: string, count: number, jobId: string | undefined): RawDocument[] {
  return Array.from({ length: count }, (_, i) => benchDocument(i, { tag, ...(jobId ? { jobId } : {}) }));
}

export async function runKafkaScenario(spec: KafkaScenarioSpec, ctx: KafkaContext): Promise<ScenarioResult> {
  const pipeline = new BenchPipeline(spec.id, spec.implementation, ctx.settings);
  const jobId = ctx.job === false ? undefined : `${spec.id}-job`;
  const sampler = new ProcessSampler(250);
  const notes: string[] = [];
  const result: ScenarioResult = {
    id: spec.id, title: spec.title, mode: 'kafka', implementation: spec.implementation, embedder: spec.embedder, kind: spec.kind,
    docs: spec.docs, chunks: 0, warmupDocs: spec.kind === 'backlog' ? 0 : spec.warmupDocs, storedDocs: 0, storedChunks: 0, seconds: 0,
    docsPerSec: 0, chunksPerSec: 0, successRate: 0, dlq: 0, processes: [], stages: [], series: [], settings: {}, notes,
  };
  let reader: StoredReader | undefined;
  let offsets: OffsetSampler | undefined;
  let publisher: Publisher | undefined;
  let services: ServiceCpu | undefined;
  const heaps = new StageMetricsSampler(pipeline);
  const model = ctx.settings.model;
  const serverCpu = model ? new ModelServerCpu(model.host) : undefined;
  try {
    ctx.log(`${spec.id}: setting up (database, topics${ctx.settings.double ? ', Ollama test double' : ''}${model ? `, real model ${describeModel(model)}` : ''})`);
    await pipeline.setup();
    result.settings = { ...pipeline.env(), VECTOR_INDEX: ctx.settings.vectorIndex ?? 'hnsw', REPLICAS: STAGES.map((n) => `${n}=${ctx.settings.replicas?.[n] ?? 1}`).join(','), JOB_HEADER: jobId ? 'yes' : 'no', RUNTIME: ctx.settings.compiledEntry ? 'compiled dist/, plain node' : 'sources, node --import tsx', DATABASE_URL: `(fresh database ${spec.id})`, ...(pipeline.double ? { OLLAMA_HOST: `${pipeline.double.url} (TEST DOUBLE: ${describeDouble(ctx.settings.double!)})` } : {}), ...(model ? { OLLAMA_HOST: `${model.host} (REAL MODEL: ${describeModel(model)})` } : {}) };
    const measured = docsOf(`${spec.id}-m`, spec.docs, jobId);
    const chunkCounts = new Map(measured.map((d) => [d.id, chunkDocument(d, { version: 1 }, spec.chunker).length]));
    result.chunks = [...chunkCounts.values()].reduce((s, n) => s + n, 0);

    services = new ServiceCpu(ctx.settings.adminDatabaseUrl, pipeline.dbName, findBrokerPid(ctx.settings.brokers[0]?.split(':')[1]));
    await services.start();
    reader = new StoredReader(pipeline.kafka, pipeline.topics.stored, `${spec.id}.bench-reader`);
    await reader.start();
    publisher = new Publisher(pipeline.kafka, pipeline.topics.raw, jobId);
    await publisher.connect();
    const topics = [pipeline.topics.chunks, pipeline.topics.embeddings, pipeline.topics.ministers, pipeline.topics.stored, pipeline.topics.dlq];
    offsets = new OffsetSampler(pipeline.admin, topics, pipeline.groups(), 500);
    const prefix = `${spec.id}-m-`;

    let t0: number;
    let before: Snapshot;
    if (spec.kind === 'backlog') {
      ctx.log(`${spec.id}: publishing a backlog of ${spec.docs} documents (${result.chunks} chunks) with the stages stopped`);
      const p = await publisher.burst(measured);
      notes.push(`backlog published in ${((p.lastAt - p.firstAt) / 1000).toFixed(1)} s before any stage started`);
      offsets.start();
      await pipeline.startStages();
      t0 = Math.min(...[...pipeline.stages.values()].map((s) => s.startedAt));
      for (const s of pipeline.stages.values()) sampler.track({ name: s.name, pid: s.child.pid });
      sampler.start();
      heaps.start();
      before = await snapshot(pipeline, sampler);
      serverCpu?.open();
      await services.open();
    } else {
      ctx.log(`${spec.id}: starting the ${spec.implementation} stages`);
      await pipeline.startStages();
      for (const s of pipeline.stages.values()) sampler.track({ name: s.name, pid: s.child.pid });
      sampler.start();
      heaps.start();
      offsets.start();
      if (spec.warmupDocs > 0) {
        ctx.log(`${spec.id}: warm-up, ${spec.warmupDocs} documents`);
        await publisher.burst(docsOf(`${spec.id}-w`, spec.warmupDocs, jobId));
        const ok = await reader.waitFor(`${spec.id}-w-`, spec.warmupDocs, { stallMs: spec.stallMs, timeoutMs: 600_000 });
        if (!ok) notes.push(`warm-up incomplete: ${reader.count(`${spec.id}-w-`)} of ${spec.warmupDocs} stored`);
      }
      t0 = Date.now();
      before = await snapshot(pipeline, sampler);
      serverCpu?.open();
      await services.open();
      if (spec.kind === 'rate' && spec.rate) {
        ctx.log(`${spec.id}: measuring, ${spec.rate.perSecond.toFixed(1)} documents/s for ${spec.rate.seconds} s`);
        const r = await publisher.atRate(measured, spec.rate.perSecond, spec.rate.seconds);
        result.publishRate = { asked: spec.rate.perSecond, achieved: r.achieved, seconds: r.seconds };
        if (r.sent < measured.length) {
          measured.length = r.sent;
          result.docs = r.sent;
          result.chunks = measured.reduce((s, d) => s + chunkCounts.get(d.id)!, 0);
        }
      } else {
        ctx.log(`${spec.id}: measuring, ${spec.docs} documents (${result.chunks} chunks) published at once`);
        await publisher.burst(measured);
      }
    }
    const complete = await reader.waitFor(prefix, result.docs, { stallMs: spec.stallMs, timeoutMs: 3_600_000 });
    if (!complete) notes.push(`stopped waiting: no document stored for ${spec.stallMs / 1000} s`);
    const seen = [...reader.events.values()].filter((e) => e.id.startsWith(prefix));
    const tEnd = seen.length ? Math.max(...seen.map((e) => e.receivedAt)) : Date.now();
    const after = await snapshot(pipeline, sampler);
    const serverSeconds = serverCpu?.close();
    const serviceCpu = await services.close();
    if (ctx.settings.vectorIndex === 'bulk') {
      ctx.log(`${spec.id}: bulk load stored; building the vector index`);
      const built = await pipeline.finishBulkLoad();
      const withBuild = (Date.now() - t0) / 1000;
      notes.push(`bulk load: stored without the vector index, then the index built in ${built.seconds.toFixed(1)} s (1 parallel worker): ${(result.chunks / withBuild).toFixed(0)} chunks/s from the first publish to the index in place`);
    }
    await offsets.sample();
    ctx.log(`${spec.id}: cool-down ${spec.cooldownS} s`);
    await sleep(spec.cooldownS * 1000);
    sampler.sampleNow();
    const dlqSample = await offsets.sample();
    // Every stage's final /metrics next to its log, for digging into a result afterwards.
    await Promise.all([...pipeline.stages.values()].map(async (s) => {
      const text = s.metricsPort === undefined ? undefined : await scrapeMetrics(s.metricsPort);
      if (!text) return;
      writeFileSync(`${ctx.settings.logDir}/${spec.id}-${s.name}.metrics.txt`, text);
    }));
    // Figures.
    result.seconds = Math.max(0.001, (tEnd - t0) / 1000);
    result.storedDocs = seen.length;
    result.storedChunks = seen.reduce((s, e) => s + e.chunks, 0);
    result.docsPerSec = result.storedDocs / result.seconds;
    result.chunksPerSec = result.storedChunks / result.seconds;
    result.successRate = ratio(result.storedDocs, result.docs);
    result.dlq = dlqSample?.ends[pipeline.topics.dlq] ?? 0;
    const latency = summarize(seen.map((e) => e.receivedAt - e.publishedAt));
    const latencyStoredAt = summarize(seen.map((e) => e.storedAt - e.publishedAt));
    if (latency) result.latency = latency;
    if (latencyStoredAt) result.latencyStoredAt = latencyStoredAt;
    const busy = after.machine.total - before.machine.total;
    if (busy > 0) result.machineCpuBusy = (after.machine.busy - before.machine.busy) / busy;

    result.services = [{ name: `postgres (${serviceCpu.backends} backends of this run's database)`, cpuSeconds: serviceCpu.postgresCpuSeconds, cpuShare: serviceCpu.postgresCpuSeconds / result.seconds }];
    if (serviceCpu.brokerCpuSeconds !== undefined) result.services.push({ name: 'kafka broker (whole process)', cpuSeconds: serviceCpu.brokerCpuSeconds, cpuShare: serviceCpu.brokerCpuSeconds / result.seconds });
    const selfSeconds = (after.self.user + after.self.system - before.self.user - before.self.system) / 1e6;
    result.services.push({ name: 'bench harness (publisher, era.stored reader, samplers)', cpuSeconds: selfSeconds, cpuShare: selfSeconds / result.seconds });
    if (serverSeconds !== undefined) result.services.push({ name: serverServiceName(model!.host), cpuSeconds: serverSeconds, cpuShare: serverSeconds / result.seconds });
    const hz = clockTicksPerSecond();
    const heap = heaps.stop();
    const cores = cpus().length;
    for (const s of pipeline.stages.values()) {
      const last = sampler.last(s.name);
      const cpuSeconds = ((after.cpu.get(s.name)?.cpuTicks ?? 0) - (before.cpu.get(s.name)?.cpuTicks ?? 0)) / hz;
      const rss = sampler.samples.get(s.name) ?? [];
      result.processes.push({
        name: s.name, pid: s.child.pid,
        peakRssMb: kbToMb(last?.hwmKb ?? 0),
        maxSampledRssMb: kbToMb(Math.max(0, ...rss.map((x) => x.rssKb))),
        cpuSeconds, cpuShare: cpuSeconds / result.seconds,
        cpuSecondsTotal: (last?.cpuTicks ?? 0) / hz,
        ...heap.get(s.name),
      });
    }
    const samples = offsets.samples;
    const stageTopic = Object.fromEntries(STAGES.map((name) => [name, PIPELINE.outputTopic(PIPELINE.stage(name), pipeline.id)])) as Record<Stage, string>;
    const chunkCounter = (): Array<{ at: number; value: number }> => {
      let sum = 0;
      return seen.slice().sort((a, b) => a.receivedAt - b.receivedAt).map((e) => ({ at: e.receivedAt, value: (sum += e.chunks) }));
    };
    // Every stage counts what it produced, except the last: its chunks are counted from the stored events.
    const last = STAGES.at(-1)!;
    const counters = Object.fromEntries(STAGES.map((name) => [name, name === last ? [{ at: t0, value: 0 }, ...chunkCounter()] : counterOf(samples, stageTopic[name])])) as Record<Stage, Array<{ at: number; value: number }>>;
    result.stages = STAGES.map((name): StageThroughput => {
      const c = counters[name];
      const at = (t: number): number => c.filter((x) => x.at <= t).at(-1)?.value ?? c[0]?.value ?? 0;
      const records = name === 'store' ? result.storedChunks : Math.max(0, at(tEnd + 500) - at(t0));
      const lags = samples.filter((x) => x.at >= t0 && x.at <= tEnd + 500).map((x) => x.lag[name] ?? 0);
      const procs = [...pipeline.stages.values()].filter((p) => p.stage === name && after.processing[p.name] !== undefined);
      const ps = procs.length ? procs.reduce((sum, p) => sum + after.processing[p.name]! - (before.processing[p.name] ?? 0), 0) : undefined;
      // The stage's own active window: until its output stopped growing (a fast stage is done early).
      const final = at(tEnd + 500);
      const doneAt = name === 'store' ? tEnd : Math.min(tEnd, c.find((x) => x.at >= t0 && x.value >= final)?.at ?? tEnd);
      return {
        name, records, perSecond: records / Math.max(0.001, (doneAt - t0) / 1000),
        peakPerSecond: peakWindow(counterRates(c, t0, tEnd), 2),
        maxInputLag: Math.max(0, ...lags),
        ...(ps !== undefined ? { processingSeconds: ps } : {}),
      };
    });
    if (result.machineCpuBusy !== undefined) {
      const ours = [...result.processes, ...(result.services ?? [])].reduce((sum, p) => sum + p.cpuShare, 0);
      result.otherCpuCores = Math.max(0, result.machineCpuBusy * cores - ours);
    }
    const store = result.stages.find((s) => s.name === last);
    if (store?.processingSeconds !== undefined) result.storeProcessingSeconds = store.processingSeconds;
    if (pipeline.double || model) embedFigures(result, before, after, heaps.limits.filter((x) => x.at >= t0 && x.at <= tEnd).map((x) => x.limit), serverSeconds, ctx.settings.double ? { double: ctx.settings.double, batch: Number(pipeline.env().EMBED_BATCH_SIZE ?? 16) } : undefined);

    const series = bucketSeries(seen.map((e) => ({ at: e.receivedAt, chunks: e.chunks, latencyMs: e.receivedAt - e.publishedAt })), t0, tEnd);
    const stageRates = Object.fromEntries(STAGES.filter((n) => n !== last).map((n) => [n, counterRates(counters[n], t0, tEnd)]));
    series.forEach((p, i) => {
      p.stages = Object.fromEntries(Object.entries(stageRates).map(([n, r]) => [n, r[i] ?? 0]));
      const at = t0 + (p.t + 1) * 1000;
      p.rssMb = Object.fromEntries([...pipeline.stages.keys()].map((n) => [n, kbToMb(sampler.at(n, at)?.rssKb ?? 0)]));
    });
    result.series = series;
    if (pipeline.double) notes.push(`Ollama TEST DOUBLE answered ${pipeline.double.calls} /api/embed requests with ${pipeline.double.inputs} inputs (${(pipeline.double.inputs / Math.max(1, pipeline.double.calls)).toFixed(1)} per request; warm-up and minister profiles included)`);
    ctx.log(`${spec.id}: ${result.storedDocs}/${result.docs} documents, ${result.chunksPerSec.toFixed(0)} chunks/s, p95 ${result.latency?.p95.toFixed(0) ?? '-'} ms`);
  } catch (error) {
    result.error = (error as Error).message;
    notes.push(`failed: ${(error as Error).message.split('\n')[0]}`);
    ctx.log(`${spec.id}: FAILED: ${(error as Error).message}`);
  } finally {
    sampler.stop();
    heaps.stop();
    await services?.stop();
    await offsets?.stop().catch(() => undefined);
    const codes = await pipeline.stopStages().catch(() => ({}));
    const bad = Object.entries(codes).filter(([, c]) => c !== 0);
    if (bad.length) notes.push(`stage exit codes: ${bad.map(([n, c]) => `${n}=${c}`).join(', ')}`);
    await publisher?.disconnect().catch(() => undefined);
    await reader?.stop().catch(() => undefined);
    await pipeline.teardown(ctx.keep, [`${spec.id}.bench-reader`]);
  }
  return result;
}

/**
 * The embedding requests of the window (runs with the double or a real model): the chunks the
 * model embedded (stored minus reused), requests, their mean time and fill, the concurrency
 * limit seen, the model server's cores; with the double, its effective ceiling as a note.
 */
function embedFigures(result: ScenarioResult, before: Snapshot, after: Snapshot, limits: number[], serverSeconds: number | undefined, double?: { double: DoubleSettings; batch: number }): void {
  result.embeddedChunks = Math.max(0, result.storedChunks - (after.embed.cacheHits - before.embed.cacheHits));
  const e = embedWindow(before.embed, after.embed, result.embeddedChunks);
  if (!e) return;
  const limitShares = shares(limits);
  result.embed = { ...e, ...(limitShares ? { limitShares } : {}), ...(serverSeconds !== undefined ? { serverCores: serverSeconds / result.seconds } : {}) };
  if (double) {
    const c = double.double;
    result.notes.push(`embed requests took ${e.meanRequestMs.toFixed(1)} ms on average as the stage saw them (double set to ${doubleBatchMs(c)} ms per full batch): the effective ceiling is ${c.concurrency} × ${double.batch} / ${e.meanRequestMs.toFixed(1)} ms = ${((c.concurrency * double.batch * 1000) / e.meanRequestMs).toFixed(0)} chunks/s`);
  }
}

function counterOf(samples: readonly OffsetSample[], topic: string): Array<{ at: number; value: number }> {
  return samples.filter((s) => s.ends[topic] !== undefined).map((s) => ({ at: s.at, value: s.ends[topic]! }));
}
