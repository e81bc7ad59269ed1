/**
 * The Kafka runner: one stage (a transform bound to its topics, ./stage-binding.ts) as a
 * consumer-producer service:
 *
 *   KafkaSource ─▶ batchStep ─▶ orderedParallelStep(inputProcessor) ─▶ sinkStream(record sink)
 *        ▲                                                              │ acked
 *        └──── pause/resume ◀── in-flight limits ◀── OffsetTracker ◀───┘ ─▶ OffsetCommitter
 *        └──── pause/resume ◀── flow gate ◀── FlowSampler (lag, every FLOW_SAMPLE_MS; ./flow-sampler.ts)
 *
 * inputProcessor (./process-inputs.ts): spans, priority lane, transform, encoding of one batch;
 * in-flight limits and flow gate: ./admission.ts.
 *
 * Delivery (DELIVERY): at-least-once produces through one idempotent producer and commits
 * completed offsets every COMMIT_INTERVAL_MS; exactly-once writes each input partition's
 * outputs and offset in one transaction (./transactional-sink.ts), claiming partitions on
 * every group join before they are consumed (./source.ts).
 *
 * Lifecycle: `start()` ensures the topics it is given (`topics`: the dataflow's catalogue, the
 * DLQ among them), connects, joins the group; the transform belongs to the caller, who closes
 * it. `close()` (SIGTERM) stops fetching, lets in-flight work finish within
 * `shutdownTimeoutMs` (then aborts it: unfinished inputs are not committed and will be
 * redelivered), commits what is done and disconnects. A halt aborts the batches in flight.
 * Every cleanup step runs even when an earlier one throws; `close()` is idempotent.
 * `done` settles when the stage stops: it rejects when the stage halted (DLQ limit, fatal error).
 */
import { pipeline } from 'node:stream/promises';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config/schema.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../config/retry-policy.ts';
import { DlqLimiter } from '../engine/dlq-limiter.ts';
import { OffsetCommitter } from '../engine/offset-committer.ts';
import { OffsetTracker } from '../engine/offset-tracker.ts';
import { sinkStream, type OutcomeSink } from '../engine/sink-stream.ts';
import { batchStep, orderedParallelStep } from '../engine/steps.ts';
import { PipelineError, toPipelineError } from '../errors/pipeline-error.ts';
import type { FlowGate } from '../flow-control/flow-gate.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { HEADERS } from '../topics/headers.ts';
import { SERVICE_STREAMS, topicName, type TopicSpec } from '../topics/names.ts';
import { ensureTopics, groupPositions, readFrom, topicSettings } from './admin.ts';
import { stageConsumer } from './client.ts';
import { stageGroupId } from './groups.ts';
import { LagMonitor, type LagTarget } from './lag-monitor.ts';
import { FlowSampler } from './flow-sampler.ts';
import type { InputMessage, OutputRecord, StageOutcome } from './records.ts';
import { encodedSink } from './encoded-sink.ts';
import { kafkaResultSink } from './sink.ts';
import { TransactionalSink } from './transactional-sink.ts';
import { PriorityForwarder } from './priority-forwarder.ts';
import { KafkaSource } from './source.ts';
import type { KafkaStageBinding } from './stage-binding.ts';
import { confirmedCommit } from './confirmed-commit.ts';
import { Admission } from './admission.ts';
import { InputSpans } from './input-spans.ts';
import { inputProcessor } from './process-inputs.ts';


export type RunnerConfig = Pick<Config, 'topicPrefix' | 'topicPartitions' | 'topicReplicationFactor' | 'groupPrefix' | 'maxDocumentBytes' | 'maxInFlight' | 'maxInFlightBytes' | 'commitIntervalMs' | 'delivery' | 'dlqMaxRatio' | 'dlqWindow' | 'shutdownTimeoutMs'>;


export interface StageRunnerOptions<In, Out> {
  binding: KafkaStageBinding<In, Out>;
  config: RunnerConfig;
  kafka: Kafka;
  logger: Logger;
  metrics: Metrics;
  /** Topics ensured at start (the dataflow's catalogue). @defaultValue none */
  topics?: readonly TopicSpec[];
  /** @defaultValue `${groupPrefix}.${binding.name}` */
  groupId?: string;
  retryPolicy?: RetryPolicy;
  /** Flow control (token bucket, adaptive controller, priority lanes); none = in-flight limits only. */
  flow?: {
    gate: FlowGate;
    /** The next stage's group on this stage's output topic. */
    downstream?: LagTarget;
    downstreamLagLimit: number;
  };
  /** How often lag is measured (and the controller ticks). @defaultValue 5_000 ms */
  sampleMs?: number;
  /** Wraps the Kafka producer sink (to observe or delay acknowledgements, in tests). */
  wrapSink?: (sink: OutcomeSink<InputMessage, OutputRecord>) => OutcomeSink<InputMessage, OutputRecord>;
  /** Called for every durable outcome (job tracking, tests). */
  onResult?: (outcome: StageOutcome<Out>) => void;
  /** Called when a batch of inputs is taken for processing (job tracking). */
  onTaken?: (inputs: readonly InputMessage[]) => void;
}

export class StageRunner<In, Out> {
  readonly groupId: string;
  readonly done: Promise<void>;
  private readonly tracker = new OffsetTracker();
  private readonly committer: OffsetCommitter;
  private readonly abort = new AbortController();
  private readonly spans: InputSpans;
  private consumer?: Consumer;
  private producer?: Producer;
  private transactions?: TransactionalSink;
  private source?: KafkaSource;
  private forwarder?: PriorityForwarder;
  private commitTimer?: NodeJS.Timeout;
  private sampleTimer?: NodeJS.Timeout;
  private admission?: Admission;
  private admin?: Admin;
  private sampler?: FlowSampler;
  private pipelineDone?: Promise<void>;
  private closing?: Promise<void>;
  private joined = false;
  private halted?: PipelineError;
  private settle!: { resolve: () => void; reject: (error: Error) => void };

  constructor(private readonly options: StageRunnerOptions<In, Out>) {
    const { binding, config } = options;
    this.groupId = options.groupId ?? stageGroupId(config.groupPrefix, binding.name);
    this.spans = new InputSpans(binding.name);
    this.committer = new OffsetCommitter(this.tracker, async (offsets) => {
      const sentAt = Date.now();
      // Exactly-once: the transactions commit offsets; the committer only moves past transaction markers (./transactional-sink.ts).
      if (this.transactions) return this.transactions.advance(offsets);
      await confirmedCommit(this.consumer!)(offsets);
      // When the commit was sent, and what: lets a test check that no member commits a partition it lost.
      options.logger.debug({ offsets: offsets.map((o) => `${o.topic}:${o.partition}@${o.offset}`), sentAt }, 'offsets committed');
    });
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined);
  }

  get ready(): boolean {
    return this.joined && !this.closing && !this.halted;
  }

  get live(): boolean {
    return !this.halted;
  }

  get inFlight(): number {
    return this.tracker.inFlight;
  }

  /** The partitions kafkajs itself holds paused (not this runner's view of them): diagnostics and tests. */
  pausedInKafka(): Array<{ topic: string; partitions: number[] }> {
    return this.consumer?.paused() ?? [];
  }

  async start(): Promise<void> {
    const { binding, config, kafka, logger, metrics } = this.options;
    const inputTopics = [...binding.inputTopics];
    if (this.options.topics?.length) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const created = await ensureTopics(admin, this.options.topics, topicSettings(config));
        if (created.length) logger.info({ created }, 'created topics');
      } finally {
        await admin.disconnect();
      }
    }

    const exactlyOnce = config.delivery === 'exactly-once';
    const dlq = { stage: binding.name, group: this.groupId, dlqTopic: topicName(config.topicPrefix, SERVICE_STREAMS.dlq.name) };
    if (exactlyOnce) {
      this.transactions = new TransactionalSink({
        kafka, admin: () => this.admin!, groupId: this.groupId, tracker: this.tracker, dlq,
        offsetsCommittedElsewhere: new Set(binding.priorityLane ? [binding.priorityLane.from] : []),
        onCommitted: (topic, partition, offset) => this.committer.committedElsewhere(topic, partition, offset),
      });
    } else {
      this.producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
    }
    this.consumer = stageConsumer(kafka, this.groupId);
    await this.producer?.connect();
    await this.consumer.connect();
    this.admin = kafka.admin();
    await this.admin.connect();

    const label = { stage: binding.name };
    if (binding.priorityLane) {
      this.forwarder = new PriorityForwarder({ kafka, groupId: this.groupId, ...binding.priorityLane, onCommitted: (topic, partition, offset) => this.committer.committedElsewhere(topic, partition, offset) });
    }
    const admission = new Admission({
      tracker: this.tracker, maxInFlight: config.maxInFlight, maxInFlightBytes: config.maxInFlightBytes,
      gate: this.options.flow?.gate, resume: () => this.source?.maybeResume(),
    });
    this.admission = admission;
    const source = new KafkaSource({
      consumer: this.consumer,
      topics: inputTopics,
      tracker: this.tracker,
      committer: this.committer,
      admit: admission.admit,
      canResume: admission.canResume,
      highWaterMark: Math.min(256, config.maxInFlight),
      onAssign: (assignment, revoked) => {
        this.joined = true;
        this.forwarder?.assign(assignment).catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'priority lane producers not ready; retried with the next batch'));
        metrics.assignedPartitions.set(label, assignment.length);
        logger.info({ assignment: assignment.length, partitions: assignment.map((tp) => `${tp.topic}:${tp.partition}`), revoked }, 'group joined');
      },
      onPauseChange: (paused) => metrics.pausedPartitions.set(label, paused),
      readFrom: async (topic, partition) => {
        const position = (await groupPositions(this.admin!, this.groupId, topic)).find((p) => p.partition === partition);
        if (!position) throw new Error(`${topic} has no partition ${partition}`);
        return readFrom(position);
      },
      ...(this.transactions ? {
        // The lane's forwarder fences its partitions' previous owner first (its commits are the lane's offsets).
        claim: async (assignment) => {
          await this.forwarder?.assign(assignment);
          return this.transactions!.claim(assignment);
        },
        onClaimRetry: (error, attempt) => logger.warn({ err: error.message, attempt }, 'claiming the assigned partitions (fencing their previous owner) failed; retrying'),
      } : {}),
      onCrash: (error) => {
        this.joined = false;
        metrics.errors.inc({ ...label, code: 'DEPENDENCY_UNAVAILABLE' });
        logger.error({ err: error.message }, 'kafka consumer crashed without restarting; rejoining the group');
      },
    });
    this.source = source;

    const retryPolicy = this.options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    const signal = this.abort.signal;
    const onRetry = (error: unknown, attempt: number, delayMs: number): void => {
      const e = toPipelineError(error);
      metrics.retries.inc({ ...label, code: e.code });
      this.sampler?.dependencyRetried();
      logger.warn({ code: e.code, attempt, delayMs, err: e.message }, 'dependency failure, retrying');
    };
    const kafkaSink = this.transactions ?? kafkaResultSink({ producer: this.producer!, dlq });
    const sink = encodedSink<Out>(this.options.wrapSink?.(kafkaSink) ?? kafkaSink);
    const { transform } = binding;
    const processInputs = inputProcessor({
      binding, metrics, spans: this.spans, retryPolicy, hooks: { signal, onRetry }, forwarder: this.forwarder, onTaken: this.options.onTaken,
    });

    this.pipelineDone = pipeline(
      source,
      batchStep<InputMessage>(transform.batch.size, transform.batch.lingerMs),
      orderedParallelStep(processInputs, transform.concurrency),
      sinkStream({
        sink,
        limiter: new DlqLimiter({ maxRatio: config.dlqMaxRatio, window: config.dlqWindow }),
        retryPolicy,
        signal,
        onRetry,
        onDurable: (outcome) => this.onDurable(outcome),
        onDropped: (outcome) => this.spans.end(outcome.input, { message: 'dropped: the partition was taken over; its new owner redoes this input' }),
      }),
      { signal },
    );
    this.pipelineDone.catch((error: unknown) => {
      const e = toPipelineError(error);
      if (this.closing && (e.code === 'SHUTDOWN' || signal.aborted)) return;
      // Batches still in flight stop retrying: the stage is going down.
      this.abort.abort(e);
      this.halted = e;
      metrics.halted.set(label, 1);
      logger.fatal({ code: e.code, err: e.message }, `stage ${binding.name} halted`);
      void this.close();
    });

    this.commitTimer = setInterval(() => void this.commitNow(), config.commitIntervalMs);
    this.sampler = new FlowSampler({
      stage: binding.name, groupId: this.groupId, priorityTopic: inputTopics.length > 1 ? inputTopics[0] : undefined, maxInFlight: config.maxInFlight,
      tracker: this.tracker, monitor: new LagMonitor(this.admin, inputTopics.map((topic) => ({ groupId: this.groupId, topic })), this.options.flow?.downstream),
      metrics, logger, ...(this.options.flow ? { flow: this.options.flow } : {}), resume: () => this.source?.maybeResume(),
    });
    this.sampleTimer = setInterval(() => void this.sampler?.sample(), this.options.sampleMs ?? 5_000);
    await source.start();
    logger.info({ group: this.groupId, inputTopics }, `stage ${binding.name} started`);
  }

  private onDurable(outcome: StageOutcome<Out>): void {
    const { metrics, binding } = this.options;
    const label = { stage: binding.name };
    this.tracker.complete(outcome.input.ticket);
    this.spans.end(outcome.input, outcome.poison);
    if (outcome.poison) {
      metrics.dlqRecords.inc({ ...label, code: outcome.poison.code });
      metrics.errors.inc({ ...label, code: outcome.poison.code });
      this.options.logger.warn({ code: outcome.poison.code, topic: outcome.input.topic, partition: outcome.input.partition, offset: outcome.input.offset, err: outcome.poison.message }, 'dead-lettered');
    } else {
      for (const out of outcome.outputs) metrics.messagesOut.inc({ ...label, topic: out.record.topic });
      const publishedAt = Number(outcome.input.headers[HEADERS.publishedAt]);
      if (Number.isFinite(publishedAt) && publishedAt > 0) metrics.endToEndSeconds.observe(label, Math.max(0, Date.now() - publishedAt) / 1000);
    }
    this.options.onResult?.(outcome);
    this.source?.maybeResume();
  }

  /** Commits completed offsets now; failures are logged and retried on the next tick. */
  async commitNow(): Promise<void> {
    const { metrics, binding, logger } = this.options;
    metrics.inFlight.set({ stage: binding.name }, this.tracker.inFlight);
    metrics.inFlightBytes.set({ stage: binding.name }, this.tracker.inFlightBytes);
    try {
      const offsets = await this.committer.commit();
      for (const o of offsets) metrics.committedOffset.set({ stage: binding.name, topic: o.topic, partition: String(o.partition) }, Number(o.offset));
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'offset commit failed; will retry');
    }
  }

  /** Stops the stage cleanly (see the file comment). Idempotent; never rejects. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { config, logger, binding } = this.options;
    const steps: Array<[string, () => Promise<unknown> | unknown]> = [
      ['stop fetching', () => this.source?.stopFetching()],
      ['drain', () => this.drain(config.shutdownTimeoutMs)],
      ['stop timers', () => { clearInterval(this.commitTimer); clearInterval(this.sampleTimer); this.admission?.close(); }],
      ['final commit', () => this.consumer && this.committer.commit()],
      ['detach', () => this.source?.detach()],
      ['disconnect consumer', () => this.consumer?.disconnect()],
      ['disconnect producer', () => this.producer?.disconnect()],
      ['disconnect transactional producers', () => this.transactions?.close()],
      ['disconnect priority producers', () => this.forwarder?.close()],
      ['disconnect admin', () => this.admin?.disconnect()],
      ['end spans', () => this.spans.endAll('abandoned at shutdown: redelivered after the restart')],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        logger.error({ step: name, err: (error as Error).message }, 'shutdown step failed');
      }
    }
    logger.info({ inFlightAbandoned: this.tracker.inFlight, halted: this.halted?.code }, `stage ${binding.name} stopped`);
    if (this.halted) this.settle.reject(this.halted);
    else this.settle.resolve();
  }

  private async drain(deadlineMs: number): Promise<void> {
    if (!this.pipelineDone) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deadlineMs)));
    const outcome = await Promise.race([this.pipelineDone.then(() => 'drained' as const, () => 'failed' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.options.logger.warn({ inFlight: this.tracker.inFlight, deadlineMs }, 'drain deadline passed; abandoning in-flight work (it will be redelivered)');
      this.abort.abort(new PipelineError('SHUTDOWN', 'drain deadline passed'));
      await this.pipelineDone.catch(() => undefined);
    }
  }
}
