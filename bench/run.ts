/**
 * `era-ingest bench`: runs the selected scenarios one after the other on this machine, then
 * evaluates the targets, writes the JSON export and the SVG chart, and prints the report.
 *
 * Order: the real model's ceiling (`model`, with OLLAMA_HOST), embedded runs (no services
 * needed), then the Kafka runs — the HNSW index cost, the scaling runs, the naive baseline, the
 * Ollama-double ceiling, the real model's run, the sustained rate (half of the largest scaling
 * run's rate unless --rate), the backlog drain, and the replicas runs (1 process of every stage,
 * then 2 and 3 of the stage the first run found the busiest).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chunkDocument } from '../src/stages/chunk/transform.ts';
import { renderChart } from './lib/chart.ts';
import { buildPackage } from './lib/build.ts';
import { ROOT } from './lib/child.ts';
import { benchDocument } from './lib/corpus.ts';
import { describeMachine, waitForQuiet } from './lib/machine.ts';
import { warmupFor, type BenchOptions } from './lib/options.ts';
import { formatReport, modelLines } from './lib/report.ts';
import { describeDouble, evaluateTargets, NOISY_CORES } from './lib/targets.ts';
import type { BenchReport, EmbedderChoice, ReembedFigures, ScenarioResult } from './lib/types.ts';
import { describeModel, modelRunDocs, saturationNotes } from './lib/model.ts';
import { bottleneckStage, REPLICA_COUNTS } from './lib/replicas.ts';
import { prepareModel } from './model/scenario.ts';
import { codecLines, measureCodecs } from './codecs.ts';
import { runEmbeddedScenario } from './embedded/scenario.ts';
import { measureIndexCost } from './kafka/index-cost.ts';
import { measureReembed, reembedLines } from './kafka/reembed.ts';
import { runKafkaScenario, type KafkaScenarioSpec } from './kafka/scenario.ts';
import { measureTracingOff } from './tracing-off.ts';
import type { PipelineSettings } from './kafka/pipeline.ts';
import type { StageName } from '../src/dataflow/pipeline.ts';

export interface BenchEnvironment {
  /** SCHEMA_REGISTRY_URL, for the codecs scenario. */
  schemaRegistryUrl?: string;
  /** KAFKA_BROKERS (Kafka mode). */
  brokers: string[];
  /** DATABASE_URL of the server the benchmark databases are created on (Kafka mode). */
  databaseUrl?: string;
  embedDim: number;
  chunker: { maxTokens: number; overlapTokens: number };
  /** OLLAMA_HOST as the environment gives it (unset: the `model` scenario is skipped). */
  modelHost?: string;
  /** EMBED_MODEL for the `model` scenario. */
  modelName: string;
  command: string;
}

export interface BenchRun {
  report: BenchReport;
  text: string;
  files: { json: string; svg: string };
}

export async function runBench(options: BenchOptions, env: BenchEnvironment, log: (m: string) => void): Promise<BenchRun> {
  const startedAt = new Date();
  const runId = `bench-${startedAt.getTime().toString(36)}`;
  const jsonPath = resolve(ROOT, options.out);
  const dir = dirname(jsonPath);
  const base = jsonPath.replace(/\.json$/, '');
  const logDir = `${base}.logs`;
  const cpuProfDir = options.cpuProf ? `${base}.cpuprofiles` : undefined;
  mkdirSync(dir, { recursive: true });
  const scenarios: ScenarioResult[] = [];
  let indexCost: BenchReport['indexCost'];
  let reembed: ReembedFigures | undefined;
  const wants = (name: BenchOptions['scenarios'][number]): boolean => options.scenarios.includes(name);
  const double = options.double;
  const batchEnv = { EMBED_BATCH_SIZE: String(double.batchSize), EMBED_CONCURRENCY: String(double.concurrency) };
  let seq = 0;
  const quiet = async (): Promise<string | undefined> => (options.idleWaitS > 0 ? waitForQuiet(options.idleWaitS, 0.25, log) : undefined);
  /**
   * Runs a scenario (after waiting for a quiet machine), again when other work competed with
   * it (--retries), and keeps the quietest attempt. `run` makes a fresh run (own ids) per attempt.
   */
  const measure = async (run: () => Promise<ScenarioResult>): Promise<ScenarioResult> => {
    let best: ScenarioResult | undefined;
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      const note = await quiet();
      const result = await run();
      if (note) result.notes.unshift(note);
      if (attempt > 0) result.notes.push(`attempt ${attempt + 1}`);
      if (!best || (result.error === undefined && (best.error !== undefined || (result.otherCpuCores ?? 0) < (best.otherCpuCores ?? 0)))) best = result;
      if (result.error === undefined && (result.otherCpuCores ?? 0) <= NOISY_CORES) break;
      if (attempt < options.retries) log(`${result.id}: other work used ${(result.otherCpuCores ?? 0).toFixed(2)} cores during the run; running it again`);
    }
    return best!;
  };
  const push = (result: ScenarioResult): void => void scenarios.push(result);
  const perDoc = chunkDocument(benchDocument(0), { version: 1 }, env.chunker).length;

  let model: BenchReport['model'];
  if (wants('model')) {
    model = await prepareModel({
      host: env.modelHost, model: env.modelName, batchSize: double.batchSize, chunker: env.chunker, tag: `${runId}-model`,
      ...(options.modelBatches !== undefined ? { batches: options.modelBatches } : {}), retries: options.retries, quiet, log,
    });
    if ('skipped' in model) log(`model: skipped: ${model.skipped}`);
  }
  const ceiling = model && 'best' in model ? model : undefined;
  const modelDocs = ceiling ? options.modelDocs ?? modelRunDocs(ceiling.best.chunksPerSec, perDoc) : 0;
  const label = (e: EmbedderChoice): string => (e === 'double' ? describeDouble(double) : e === 'model' ? `REAL MODEL ${describeModel(ceiling!.server)}` : 'hash embedder');
  /** A run with the real model gets the notes that hold it against the ceiling. */
  const held = (result: ScenarioResult): ScenarioResult => {
    if (result.embedder === 'model' && ceiling && !result.error) result.notes.push(...saturationNotes(result, ceiling));
    return result;
  };

  if (options.modes.includes('embedded')) {
    const runs: Array<{ kind: 'scaling' | 'ceiling'; docs: number; embedder: EmbedderChoice }> = [
      ...(wants('scaling') ? options.docs.map((docs) => ({ kind: 'scaling' as const, docs, embedder: options.embedder })) : []),
      ...(wants('ceiling') ? [{ kind: 'ceiling' as const, docs: options.ceilingDocs, embedder: 'double' as const }] : []),
      ...(ceiling ? [{ kind: 'ceiling' as const, docs: modelDocs, embedder: 'model' as const }] : []),
    ];
    for (const r of runs) {
      const id = `${runId}-${++seq}-embedded-${r.embedder}-${r.kind}-${r.docs}`;
      push(held(await measure(() => runEmbeddedScenario({
        id, title: `embedded (PGlite), ${label(r.embedder)}, ${r.kind}, ${r.docs} documents`,
        embedder: r.embedder, kind: r.kind, docs: r.docs, warmupDocs: warmupFor(r.docs, options), cooldownS: options.cooldownS,
        embedDim: r.embedder === 'model' ? ceiling!.server.dimension : env.embedDim,
        env: { ...batchEnv, ...options.stageEnv }, ...(r.embedder === 'double' ? { double } : {}), ...(r.embedder === 'model' ? { model: ceiling!.server } : {}),
        chunker: env.chunker, logDir, ...(cpuProfDir ? { cpuProfDir } : {}),
      }, log))));
    }
  }

  if (options.modes.includes('kafka')) {
    if (!env.databaseUrl) throw new Error('Kafka mode needs DATABASE_URL (a PostgreSQL with pgvector where the benchmark may CREATE DATABASE); run `eval "$(infra/services.sh up)"` first, or use --mode embedded');
    const compiledEntry = options.tsx ? undefined : buildPackage();
    log(compiledEntry ? `stages run the compiled ${compiledEntry} with plain node` : 'stages run the TypeScript sources through tsx (--tsx)');
    const settings = (embedder: EmbedderChoice): PipelineSettings => ({
      brokers: env.brokers, adminDatabaseUrl: env.databaseUrl!, partitions: options.partitions, embedDim: embedder === 'model' ? ceiling!.server.dimension : env.embedDim,
      stageEnv: { PROFILE: options.profile, FLOW_RATE: options.flowRate, ...batchEnv, ...options.stageEnv },
      ...(embedder === 'double' ? { double } : {}), ...(embedder === 'model' ? { model: ceiling!.server } : {}), logDir, ...(cpuProfDir ? { cpuProfDir } : {}),
      replicas: options.replicas, vectorIndex: options.vectorIndex, ...(compiledEntry ? { compiledEntry } : {}),
    });
    const ctx = (embedder: EmbedderChoice) => ({ settings: settings(embedder), keep: options.keep, job: options.job, log });
    const spec = (kind: KafkaScenarioSpec['kind'], implementation: KafkaScenarioSpec['implementation'], embedder: EmbedderChoice, docs: number, extra: Partial<KafkaScenarioSpec> = {}): KafkaScenarioSpec => ({
      id: `${runId}-${++seq}-kafka-${implementation === 'naive' ? 'naive-' : ''}${embedder}-${kind}-${docs}`,
      title: `Kafka, ${implementation === 'naive' ? 'NAIVE BASELINE' : 'era-ingest'}, ${label(embedder)}, ${kind}, ${docs} documents`,
      implementation, embedder, kind, docs, warmupDocs: warmupFor(docs, options), cooldownS: options.cooldownS, stallMs: options.stallS * 1000, chunker: env.chunker, ...extra,
    });

    if (wants('index')) {
      await quiet();
      indexCost = await measureIndexCost({ adminDatabaseUrl: env.databaseUrl, id: `${runId}-index`.replace(/-/g, '_'), chunks: options.indexChunks, batchSize: 256, embedDim: env.embedDim, chunker: env.chunker, keep: options.keep, log });
    }
    if (wants('scaling')) {
      for (const docs of options.docs) push(await measure(() => runKafkaScenario(spec('scaling', 'era-ingest', options.embedder, docs), ctx(options.embedder))));
    }
    if (wants('baseline')) push(await measure(() => runKafkaScenario(spec('scaling', 'naive', options.embedder, options.baselineDocs), ctx(options.embedder))));
    if (wants('ceiling')) push(await measure(() => runKafkaScenario(spec('ceiling', 'era-ingest', 'double', options.ceilingDocs), ctx('double'))));
    if (ceiling) push(held(await measure(() => runKafkaScenario(spec('ceiling', 'era-ingest', 'model', modelDocs), ctx('model')))));
    if (wants('rate')) {
      const max = scenarios.filter((s) => s.mode === 'kafka' && s.kind === 'scaling' && s.implementation === 'era-ingest' && !s.error).sort((a, b) => b.docs - a.docs)[0];
      const perSecond = options.rate ?? (max ? max.docsPerSec / 2 : 50);
      const docs = Math.max(1, Math.ceil(perSecond * options.durationS));
      const result = await measure(() => runKafkaScenario(spec('rate', 'era-ingest', options.embedder, docs, { rate: { perSecond, seconds: options.durationS }, warmupDocs: warmupFor(docs, options) }), ctx(options.embedder)));
      result.notes.push(options.rate !== undefined ? `rate given with --rate` : max ? `rate = half of ${max.id}'s ${max.docsPerSec.toFixed(1)} documents/s` : 'no scaling run to take the maximum from: 50 documents/s');
      push(result);
    }
    if (wants('delivery')) {
      // The same run with DELIVERY=at-least-once and exactly-once: what the transactions cost (README "Exactly-once").
      const runs: ScenarioResult[] = [];
      for (const delivery of ['at-least-once', 'exactly-once'] as const) {
        const base = spec('delivery', 'era-ingest', options.embedder, options.baselineDocs);
        const context = ctx(options.embedder);
        context.settings.stageEnv = { ...context.settings.stageEnv, DELIVERY: delivery };
        runs.push(await measure(() => runKafkaScenario({ ...base, id: `${base.id}-${delivery}`, title: `${base.title}, DELIVERY=${delivery}` }, context)));
      }
      const [alo, eos] = runs as [ScenarioResult, ScenarioResult];
      if (!alo.error && !eos.error) {
        eos.notes.push(`exactly-once: ${(eos.chunksPerSec / alo.chunksPerSec * 100).toFixed(0)} % of at-least-once chunks/s (${Math.round(eos.chunksPerSec)} vs ${Math.round(alo.chunksPerSec)}), p95 publish→stored ${Math.round(eos.latency?.p95 ?? NaN)} vs ${Math.round(alo.latency?.p95 ?? NaN)} ms`);
      }
      runs.forEach(push);
    }
    if (wants('reembed')) {
      await quiet();
      reembed = await measureReembed({
        adminDatabaseUrl: env.databaseUrl, brokers: env.brokers, id: `${runId}-reembed`, chunks: options.reembedChunks, embedDim: env.embedDim,
        chunker: env.chunker, keep: options.keep, log,
        ...(options.embedder === 'double' ? { double } : {}),
      });
    }
    if (wants('backlog')) {
      const docs = Math.max(1, Math.ceil(options.backlogChunks / perDoc));
      push(await measure(() => runKafkaScenario(spec('backlog', 'era-ingest', options.embedder, docs), ctx(options.embedder))));
    }
    if (wants('replicas')) {
      // One process per stage first (--replicas ignored: the runs differ only in the scaled stage).
      let stage: StageName | undefined;
      for (const n of REPLICA_COUNTS) {
        const replicas = stage ? { [stage]: n } : {};
        const run = { ...ctx(options.embedder), settings: { ...settings(options.embedder), replicas } };
        const result = await measure(() => runKafkaScenario(spec('replicas', 'era-ingest', options.embedder, options.replicaDocs, {
          id: `${runId}-${seq + 1}-kafka-${options.embedder}-replicas${n}-${options.replicaDocs}`, // spec() takes seq + 1 as its number
          title: `Kafka, era-ingest, ${label(options.embedder)}, ${stage ? `${n} replicas of ${stage}` : 'one process per stage'}, ${options.replicaDocs} documents`,
        }), run));
        stage ??= bottleneckStage(result) as StageName | undefined;
        if (!stage) {
          result.notes.push('no bottleneck stage found (no processing figures): the 2- and 3-replica runs were skipped');
          push(result);
          break;
        }
        result.scaled = { stage, replicas: n };
        if (n === 1) result.notes.push(`bottleneck: ${stage}, the stage with the most seconds inside batch processing (${result.stages.map((s) => `${s.name} ${s.processingSeconds?.toFixed(1) ?? '-'} s`).join(', ')})`);
        push(result);
      }
    }
  }

  let codecs: BenchReport['codecs'];
  if (wants('codecs')) {
    if (env.schemaRegistryUrl) {
      codecs = await measureCodecs(env.schemaRegistryUrl, env.embedDim, `${runId}-codecs`);
      log(codecLines(codecs).join('\n'));
    } else {
      codecs = { skipped: 'set SCHEMA_REGISTRY_URL (e.g. from `infra/registry/registry.sh start`) to measure Avro against JSON' };
    }
  }

  let tracingOff: BenchReport['tracingOff'];
  if (wants('tracing')) {
    tracingOff = measureTracingOff();
    log(`tracing ${tracingOff.tracingOn ? 'ON (OTEL_EXPORTER_OTLP_ENDPOINT is set)' : 'off'}: ${tracingOff.perInputUs.toFixed(2)} µs of span calls per input record (${tracingOff.iterations} per round)`);
  }

  const targets = evaluateTargets({ scenarios, ...(indexCost ? { indexCost } : {}), double, ...(model ? { model } : {}), ...(tracingOff ? { tracingOff } : {}) });
  const report: BenchReport = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: env.command,
    machine: await describeMachine(options.modes.includes('kafka') ? env.databaseUrl : undefined, options.modes.includes('kafka')),
    options: { ...options },
    scenarios,
    ...(indexCost ? { indexCost } : {}),
    ...(codecs ? { codecs } : {}),
    ...(reembed ? { reembed } : {}),
    ...(model ? { model } : {}),
    ...(tracingOff ? { tracingOff } : {}),
    targets,
  };
  const files = { json: jsonPath, svg: `${base}.svg` };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.svg, renderChart(scenarios.map((s) => ({ id: s.id, title: `${s.title}: ${Math.round(s.chunksPerSec)} chunks/s${s.latency ? `, p95 ${Math.round(s.latency.p95)} ms` : ''}`, series: s.series })), { title: `era-ingest benchmark ${report.startedAt} (${report.machine.cpus} CPUs)` }));
  const codecText = codecs ? `\n\n${'skipped' in codecs ? `Codecs: skipped: ${codecs.skipped}` : codecLines(codecs).join('\n')}` : '';
  const reembedText = reembed ? `\n\n${reembedLines(reembed).join('\n')}` : '';
  const modelText = model ? `\n\n${modelLines(model).join('\n')}` : '';
  return { report, text: formatReport(report, files) + codecText + reembedText + modelText, files };
}
