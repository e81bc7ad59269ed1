/**
 * `era-ingest reembed --model <m>`: re-embeds every stored chunk with another model, through
 * Kafka and a consumer group of its own, into a second vector set (`chunk_vectors`) while search
 * keeps answering from the first.
 *
 *   PostgreSQL ──feed──▶ era.reembed ──▶ [reembed group: embed with m] ──▶ chunk_vectors (model m)
 *   (current chunks without an m vector)
 *
 * A pass drains what the group has not consumed yet (an interrupted run's records), copies the
 * vectors `chunks.embedding` already holds for m, publishes the chunks still missing, and waits
 * until the group has committed past them. Passes repeat until one finds nothing missing (chunks
 * stored by the running pipeline meanwhile are caught up by the next pass); then the model's
 * HNSW index is built and the set is marked ready. With `follow`, passes go on every
 * `intervalMs`, keeping the set complete while the pipeline ingests. Chunks the model rejects
 * are dead-lettered (stage `reembed`) and left out; the set then stays `building`.
 *
 * Resumable: offsets are committed after each batch is written, so a killed run re-embeds at
 * most its uncommitted batches; a new run drains the rest of the topic before feeding again.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { ConfigError, ConflictError, PipelineError } from '../errors/pipeline-error.ts';
import { retryPolicyFor } from '../config/presets.ts';
import type { Logger } from '../log/logger.ts';
import { startServiceServer } from '../metrics/http-server.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { topicNames, topicSpecs } from '../dataflow/topics.ts';
import { abortableSleep, retry } from '../engine/backoff.ts';
import { ensureTopics, groupMembers, groupPositions, setGroupOffsets, topicSettings, waitForGroupAtEnd } from '../kafka/admin.ts';
import { asKafkaDependencyError, createKafka } from '../kafka/client.ts';
import { checkKafkaTls } from '../kafka/preflight.ts';
import { connectPublisher } from '../kafka/publisher.ts';
import { StageRunner } from '../kafka/stage-runner.ts';
import type { StageOutcome } from '../kafka/records.ts';
import { chunkEmbedder, embedLimiter } from '../stages/embed/embed-chunks.ts';
import { prepareStore } from '../storage/prepare-store.ts';
import { settleDimension } from '../embedding/dimension.ts';
import { copyStoredVectors, getModel, registerModel, type ModelState } from '../storage/model-vectors.ts';
import { tryLockModel } from '../storage/model-lock.ts';
import { createPgClient } from '../storage/pg-client.ts';
import { chunkCount } from '../storage/search.ts';
import type { SqlClient } from '../storage/sql-client.ts';
import { codecFor } from '../topics/codec-async.ts';
import { completeSet, indexSet } from './complete-set.ts';
import { feedMissing } from './feed.ts';
import { modelEmbedder, probeModel } from './model-embedder.ts';
import { reembedBinding, reembedTransform, type ReembedInput } from './stage.ts';

/** A pass that catches up on at most this many chunks, from this pass on, ends the catching up. */
const CONVERGED_BELOW = 500;
const CONVERGED_AFTER_PASSES = 3;

export interface ReembedOptions {
  config: Config;
  /** Model to embed with (a model of the Ollama or OpenAI-compatible server; with EMBEDDER=hash, the label of the hash vectors). */
  model: string;
  /** Its vector length. @defaultValue the registered one, else EMBED_DIM */
  dimension?: number;
  /** Keep the set complete: a pass every `intervalMs` until `signal` aborts. */
  follow?: boolean;
  /** @defaultValue 10_000 */
  intervalMs?: number;
  logger: Logger;
  /** Stops the run (SIGTERM): in-flight batches are finished or abandoned, offsets committed. */
  signal?: AbortSignal;
  onProgress?: (progress: ReembedProgress) => void;
  /**
   * Serve /metrics, /healthz and /readyz on this port (0: any free one), as a stage does: the
   * consumer's metrics carry `stage="reembed"`. For `--follow` runs in a pod. Unset: none.
   */
  metricsPort?: number;
}

export interface ReembedProgress {
  pass: number;
  /** Current chunks when the run started. */
  total: number;
  published: number;
  /** Vectors written by this run (embedded) plus copied from chunks.embedding. */
  written: number;
  failed: number;
}

export interface ReembedSummary {
  model: string;
  dimension: number;
  consumerGroup: string;
  topic: string;
  state: ModelState;
  passes: number;
  /** Current chunks when the run started. */
  chunks: number;
  published: number;
  embedded: number;
  copied: number;
  /** Chunks the model rejected (dead-lettered to era.dlq, stage reembed). */
  failed: string[];
  /** In-process runs (no DLQ topic): why each failed chunk was rejected. */
  rejected?: Array<{ chunkId: string; reason: string }>;
  /** Name of the model's HNSW index, once built. */
  index: string | null;
  /** Time spent building it in this run. */
  indexSeconds: number;
  seconds: number;
  interrupted: boolean;
}

/** Consumer group of a model's re-embedding (a plain, stable name per model). */
export function reembedGroupId(groupPrefix: string, model: string): string {
  const plain = model.replace(/[^A-Za-z0-9._-]/g, '_');
  // Names that had to change get a short hash, so `a:b` and `a_b` never share a group.
  return `${groupPrefix}.reembed.${plain === model ? plain : `${plain}-${createHash('sha256').update(model).digest('hex').slice(0, 8)}`}`;
}

export async function runReembed(options: ReembedOptions): Promise<ReembedSummary> {
  const { config, model, follow = false, intervalMs = 10_000, logger, onProgress } = options;
  const started = Date.now();
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  if (options.signal?.aborted) stop.abort();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is not set: reembed reads the stored chunks from PostgreSQL and writes the new vectors there');
  const topics = topicNames(config.topicPrefix);
  const groupId = reembedGroupId(config.groupPrefix, model);
  const startRetry = { ...retryPolicyFor(config), maxAttempts: 8 };
  const onRetry = (error: unknown, attempt: number, delayMs: number): void => logger.warn({ err: (error as Error).message, attempt, delayMs }, 'a dependency is not ready; retrying');

  const client: SqlClient = createPgClient(config.databaseUrl, { max: 3 });
  const cleanups: Array<() => Promise<void> | void> = [() => client.close()];
  const summary: ReembedSummary = {
    model, dimension: 0, consumerGroup: groupId, topic: topics.reembed, state: 'building', passes: 0, chunks: 0,
    published: 0, embedded: 0, copied: 0, failed: [], index: null, indexSeconds: 0, seconds: 0, interrupted: false,
  };
  try {
    const retrying = async <T>(attempt: () => Promise<T>): Promise<T> => (await retry(attempt, startRetry, { onRetry, signal: stop.signal })).value;
    await retrying(() => prepareStore(client, config, { verify: false }));
    const lock = await retry(() => tryLockModel(config.databaseUrl!, model), startRetry, { onRetry, signal: stop.signal });
    if (!lock.value) throw new ConflictError(`a reembed of ${model} is already running (another process holds its lock in PostgreSQL); stop it first (one process per model)`);
    cleanups.push(() => lock.value!.release());
    await checkKafkaTls(config);
    const kafka = createKafka(config, undefined, 'reembed');
    const admin = kafka.admin();
    /** Admin calls right after a topic is created may meet a partition without a leader yet. */
    const kafkaRetry = (policy: typeof startRetry) => async <T>(fn: () => Promise<T>): Promise<T> =>
      (await retry(() => fn().catch((error: unknown) => { throw asKafkaDependencyError(error); }), policy, { onRetry, signal: stop.signal })).value;
    const withKafka = kafkaRetry(startRetry);
    /** Once running, a broker outage is waited out like the stages do. */
    const whileRunning = kafkaRetry({ ...startRetry, maxAttempts: Number.POSITIVE_INFINITY });
    await withKafka(() => admin.connect());
    cleanups.push(() => admin.disconnect());
    await withKafka(() => ensureTopics(admin, topicSpecs(config.topicPrefix), topicSettings(config)));
    const { members } = await withKafka(() => groupMembers(admin, groupId));
    if (members > 0) {
      throw new ConflictError(`group ${groupId} has ${members} active member(s): a reembed of ${model} is already running; stop it first (one process per model). A killed run stays a member until its session times out (30 s)`);
    }
    // Only a run that may go ahead asks the model: a refused one never loads it.
    // A model without a set and without --dim is asked for its dimension.
    const dimension = options.dimension ?? (await getModel(client, model))?.dimension ??
      (await settleDimension({ ...config, embedModel: model, embedDim: undefined }, { retry: retrying, signal: stop.signal }));
    summary.dimension = dimension;
    const embedder = modelEmbedder(config, model, dimension);
    cleanups.push(() => embedder.close?.());
    // Fails early on a wrong dimension or an unknown model; waits out an embedder that is starting.
    await probeModel(embedder, dimension, startRetry, { onRetry, signal: stop.signal });
    const positions = await withKafka(() => groupPositions(admin, groupId, topics.reembed));
    if (positions.every((p) => p.committed === undefined)) {
      // A fresh group starts at the end: records of earlier runs are not this run's work.
      await withKafka(() => setGroupOffsets(admin, groupId, topics.reembed, positions.map((p) => ({ partition: p.partition, offset: p.high }))));
    }
    // Registered only now, after the checks: a refused run leaves nothing behind.
    summary.state = (await registerModel(client, model, dimension, groupId)).state;
    summary.chunks = await chunkCount(client);

    const progress = (): void => onProgress?.({ pass: summary.passes, total: summary.chunks, published: summary.published, written: summary.embedded + summary.copied, failed: summary.failed.length });
    const failed = new Set<string>();
    const codec = await codecFor('chunks', topics.reembed, config);
    const limiter = embedLimiter(config.embedConcurrency);
    const metrics = createMetrics();
    const label = { stage: 'reembed' };
    const transform = reembedTransform({
      model, client,
      embedChunks: chunkEmbedder({
        embedder, limiter, batchSize: config.embedBatchSize,
        onRequest: (outcome, seconds) => {
          metrics.embedSeconds.observe({ ...label, outcome }, seconds);
          metrics.embedConcurrency.set(label, limiter.limit);
        },
      }),
      batchSize: Math.max(config.embedBatchSize * config.embedConcurrency * 2, 64),
      onWritten: (written) => {
        summary.embedded += written;
        progress();
      },
    });
    // Every dead-lettered chunk (rejected by the model, or poison for any other reason) is left
    // out of later passes, so a pass cannot feed it again and again. The runner reports it once
    // its DLQ record is acknowledged, before its offset is committed (so before the drain ends).
    const onResult = (result: StageOutcome<never>): void => {
      if (!result.poison || !result.input.value) return;
      void codec.decode(result.input.value).then((value) => {
        if (value.kind !== 'chunk') return;
        failed.add(value.chunkId);
        summary.failed = [...failed];
      }, () => undefined);
    };
    const runner = new StageRunner<ReembedInput, never>({ binding: reembedBinding(topics.reembed, model, codec, transform), config, kafka, logger, metrics, groupId, onResult, retryPolicy: retryPolicyFor(config) });
    cleanups.push(() => runner.close());
    if (options.metricsPort !== undefined) {
      const server = await startServiceServer({ port: options.metricsPort, registry: metrics.registry, live: () => runner.live, ready: () => runner.ready });
      cleanups.push(() => server.close());
      logger.info({ port: server.port }, 'metrics, /healthz and /readyz listening');
    }
    await runner.start();
    const halted = runner.done.then(() => { throw new PipelineError('SHUTDOWN', 'the reembed consumer stopped'); });
    halted.catch(() => undefined);
    const publisher = await connectPublisher(kafka);
    cleanups.push(() => publisher.close());

    for (;;) {
      summary.passes += 1;
      await waitForGroupAtEnd(admin, groupId, topics.reembed, { call: whileRunning, stopped: halted, signal: stop.signal });
      summary.copied += await copyStoredVectors(client, model, dimension);
      const before = summary.published;
      const fed = await feedMissing({
        client, publisher, topic: topics.reembed, model, codec, exclude: [...failed], signal: stop.signal,
        onPage: (n) => { summary.published = before + n; progress(); },
      });
      progress();
      if (fed > 0) {
        await waitForGroupAtEnd(admin, groupId, topics.reembed, { call: whileRunning, stopped: halted, signal: stop.signal });
        // Converged: nothing was missing, or (while the pipeline keeps storing) a later pass
        // had only a page of newcomers to catch up on. --follow picks up the rest.
        if (!(summary.passes >= CONVERGED_AFTER_PASSES && fed <= CONVERGED_BELOW)) continue;
      }
      if (failed.size === 0 && summary.state !== 'ready') {
        await completeSet(client, config, summary);
        logger.info({ model, index: summary.index }, 'vector set complete and indexed');
      } else if (summary.state === 'ready' && summary.index === null) {
        // Ready before this run: the index exists unless an earlier build was interrupted.
        await indexSet(client, config, summary);
      }
      if (!follow) break;
      await abortableSleep(intervalMs, stop.signal);
    }
  } catch (error) {
    if (!(stop.signal.aborted && error instanceof PipelineError && error.code === 'SHUTDOWN')) throw error;
    summary.interrupted = true;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'reembed cleanup failed');
      }
    }
    summary.seconds = (Date.now() - started) / 1000;
  }
  return summary;
}
