/**
 * The Kafka runner: one stage (a transform bound to its topics, ./stage-binding.ts) as a
 * consumer-producer service:
 *
 *   KafkaSource ─▶ batchStep ─▶ orderedParallelStep(processBatch, encode) ─▶ sinkStream(record sink)
 *        ▲                                                                   │ acked
 *        └──── pause/resume ◀── in-flight limits ◀── OffsetTracker ◀────────┘ ─▶ OffsetCommitter
 *        └──── pause/resume ◀── flow gate ◀── FlowSampler (lag, every FLOW_SAMPLE_MS; ./flow-sampler.ts)
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
import { retry } from '../engine/backoff.ts';
import { DlqLimiter } from '../engine/dlq-limiter.ts';
import { OffsetCommitter } from '../engine/offset-committer.ts';
import { OffsetTracker } from '../engine/offset-tracker.ts';
import type { Outcome } from '../engine/outcome.ts';
import { isFatal, processBatch } from '../engine/process-batch.ts';
import { sinkStream, type OutcomeSink } from '../engine/sink-stream.ts';
import { batchStep, orderedParallelStep } from '../engine/steps.ts';
import { PipelineError, toPipelineError } from '../errors/pipeline-error.ts';
import type { FlowGate } from '../flow-control/flow-gate.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { HEADERS } from '../topics/headers.ts';
import { SERVICE_STREAMS, topicName, type TopicSpec } from '../topics/names.ts';
import { ensureTopics, topicSettings } from './admin.ts';
import { stageGroupId } from './groups.ts';
import { LagMonitor, type LagTarget } from './lag-monitor.ts';
import { FlowSampler } from './flow-sampler.ts';
import type { Encoded, InputMessage, OutputRecord, StageOutcome } from './records.ts';
import { encodedSink } from './encoded-sink.ts';
import { kafkaResultSink } from './sink.ts';
import { TransactionalSink } from './transactional-sink.ts';
import { PriorityForwarder } from './priority-forwarder.ts';
import { KafkaSource } from './source.ts';
import type { KafkaStageBinding } from './stage-binding.ts';
import { confirmedCommit } from './confirmed-commit.ts';
import type { Span } from '@opentelemetry/api';
import { endSpan, startStageSpan, withBatchSpans, withTraceContext } from '../tracing/spans.ts';


/** Bytes of one fetch response, and of one partition in it (kafkajs: 10 MiB and 1 MiB). */
const FETCH_MAX_BYTES = 2 * 1024 * 1024;
const FETCH_MAX_BYTES_PER_PARTITION = 256 * 1024;

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
  /** The span of each input in flight (../tracing/spans.ts): from taken to durable. */
  private readonly spans = new Map<InputMessage, Span>();
  private consumer?: Consumer;
  private producer?: Producer;
  private transactions?: TransactionalSink;
  private source?: KafkaSource;
  private forwarder?: PriorityForwarder;
  private commitTimer?: NodeJS.Timeout;
  private sampleTimer?: NodeJS.Timeout;
  private resumeTimer?: NodeJS.Timeout;
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
    this.consumer = kafka.consumer({
      groupId: this.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, sessionTimeout: 30_000, heartbeatInterval: 3_000,
      // Outputs of aborted transactions (exactly-once upstream stages, the priority lane) are never read.
      readUncommitted: false,
      // Fetch responses are whole Buffers until every message of them is copied out; kafkajs'
      // defaults (10 MiB, 1 MiB a partition) let a draining stage hold tens of MB of them.
      // A message larger than the limit still arrives alone (the broker returns the first batch).
      maxBytes: FETCH_MAX_BYTES, maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
    });
    await this.producer?.connect();
    await this.consumer.connect();
    this.admin = kafka.admin();
    await this.admin.connect();

    const label = { stage: binding.name };
    if (binding.priorityLane) {
      this.forwarder = new PriorityForwarder({ kafka, groupId: this.groupId, ...binding.priorityLane, onCommitted: (topic, partition, offset) => this.committer.committedElsewhere(topic, partition, offset) });
    }
    // A message larger than the byte limit is still admitted when nothing else is in flight,
    // or its partition would stall for good.
    const gate = this.options.flow?.gate;
    const roomFor = (bytes: number): boolean =>
      this.tracker.inFlight === 0 || (this.tracker.inFlight < config.maxInFlight && this.tracker.inFlightBytes + bytes <= config.maxInFlightBytes);
    const admitLimits = (topic: string, _partition: number, bytes: number): boolean => {
      if (!roomFor(bytes)) return false;
      if (!gate || gate.admit(topic, Date.now())) return true;
      this.scheduleResume();
      return false;
    };
    const canResume = (topic: string): boolean => roomFor(0) && (!gate || gate.canResume(topic, Date.now()));
    const source = new KafkaSource({
      consumer: this.consumer,
      topics: inputTopics,
      tracker: this.tracker,
      committer: this.committer,
      admit: admitLimits,
      canResume,
      highWaterMark: Math.min(256, config.maxInFlight),
      onAssign: (assignment, revoked) => {
        this.joined = true;
        this.forwarder?.assign(assignment).catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'priority lane producers not ready; retried with the next batch'));
        metrics.assignedPartitions.set(label, assignment.length);
        logger.info({ assignment: assignment.length, partitions: assignment.map((tp) => `${tp.topic}:${tp.partition}`), revoked }, 'group joined');
      },
      onPauseChange: (paused) => metrics.pausedPartitions.set(label, paused),
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
    const hooks = { signal, onRetry };

    this.pipelineDone = pipeline(
      source,
      batchStep<InputMessage>(transform.batch.size, transform.batch.lingerMs),
      orderedParallelStep(async (inputs: InputMessage[]) => {
        const end = metrics.processingSeconds.startTimer(label);
        for (const input of inputs) metrics.messagesIn.inc({ ...label, topic: input.topic });
        this.options.onTaken?.(inputs);
        for (const input of inputs) this.spans.set(input, startStageSpan(binding.name, input));
        try {
          const { taken, abandoned } = await this.forwardPriority(inputs, retryPolicy, hooks);
          for (const input of abandoned) this.endSpan(input, { message: 'abandoned: the priority lane partition was revoked' });
          const spans = taken.map((input) => this.spans.get(input)!);
          const outcomes = await withBatchSpans(spans, () => processBatch(transform, taken, { decode: (m) => binding.decode(m), retryPolicy, hooks }));
          const encoded = await Promise.all(outcomes.map((o) => this.encode(o, retryPolicy, hooks)));
          return [...encoded, ...abandoned.map((input): StageOutcome<Out> => ({ input, outputs: [] }))];
        } finally {
          end();
        }
      }, transform.concurrency),
      sinkStream({
        sink,
        limiter: new DlqLimiter({ maxRatio: config.dlqMaxRatio, window: config.dlqWindow }),
        retryPolicy,
        signal,
        onRetry,
        onDurable: (outcome) => this.onDurable(outcome),
        onDropped: (outcome) => this.endSpan(outcome.input, { message: 'dropped: the partition was taken over; its new owner redoes this input' }),
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

  /**
   * Appends the priority lane's inputs to the main topic (./priority-forwarder.ts) and writes the
   * version each got into its `era.version` header, where decoding reads it. Inputs of a lane
   * partition this member lost meanwhile are abandoned: their new owner appends them.
   */
  private async forwardPriority(inputs: InputMessage[], policy: RetryPolicy, hooks: { signal: AbortSignal; onRetry: (error: unknown, attempt: number, delayMs: number) => void }): Promise<{ taken: InputMessage[]; abandoned: InputMessage[] }> {
    if (!this.forwarder) return { taken: inputs, abandoned: [] };
    const { value: forwarded } = await retry(() => this.forwarder!.forward(inputs), policy, hooks);
    for (const [message, version] of forwarded.versions) (message.headers as Record<string, string>)[HEADERS.version] = String(version);
    const abandoned = new Set(forwarded.abandoned);
    return { taken: inputs.filter((m) => !abandoned.has(m)), abandoned: forwarded.abandoned };
  }

  /** Encodes an outcome's outputs; an output that cannot be encoded makes its input poison (INTERNAL). */
  private async encode(outcome: Outcome<InputMessage, Out>, policy: RetryPolicy, hooks: { signal: AbortSignal; onRetry: (error: unknown, attempt: number, delayMs: number) => void }): Promise<StageOutcome<Out>> {
    if (outcome.poison) return outcome;
    try {
      // One retry loop for the outcome (a registry outage would otherwise retry every output on its own).
      const span = this.spans.get(outcome.input);
      const encode = () => Promise.all(outcome.outputs.map(async (value) => {
        const record = await this.options.binding.encode(value, outcome.input);
        // The outputs' traceparent is this stage's span (the input's is carried when tracing is off).
        return { value, record: span ? { ...record, headers: withTraceContext(record.headers, span) } : record };
      }));
      return { input: outcome.input, outputs: (await retry(encode, policy, hooks)).value };
    } catch (error) {
      if (isFatal(error)) throw error;
      return { input: outcome.input, outputs: [], poison: toPipelineError(error), attempts: 1 };
    }
  }

  private onDurable(outcome: StageOutcome<Out>): void {
    const { metrics, binding } = this.options;
    const label = { stage: binding.name };
    this.tracker.complete(outcome.input.ticket);
    this.endSpan(outcome.input, outcome.poison);
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

  /** One timer to resume paused partitions when the token bucket refills. */
  private scheduleResume(): void {
    const gate = this.options.flow?.gate;
    if (!gate || this.resumeTimer) return;
    const wait = gate.msUntilOpen(Date.now());
    if (!Number.isFinite(wait)) return; // paused by the controller: the next sample resumes
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      this.source?.maybeResume();
    }, Math.max(1, wait));
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
      ['stop timers', () => { clearInterval(this.commitTimer); clearInterval(this.sampleTimer); clearTimeout(this.resumeTimer); }],
      ['final commit', () => this.consumer && this.committer.commit()],
      ['detach', () => this.source?.detach()],
      ['disconnect consumer', () => this.consumer?.disconnect()],
      ['disconnect producer', () => this.producer?.disconnect()],
      ['disconnect transactional producers', () => this.transactions?.close()],
      ['disconnect priority producers', () => this.forwarder?.close()],
      ['disconnect admin', () => this.admin?.disconnect()],
      ['end spans', () => { for (const input of [...this.spans.keys()]) this.endSpan(input, { message: 'abandoned at shutdown: redelivered after the restart' }); }],
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

  private endSpan(input: InputMessage, error?: { code?: string; message: string }): void {
    const span = this.spans.get(input);
    if (!span) return;
    this.spans.delete(input);
    endSpan(span, error);
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
