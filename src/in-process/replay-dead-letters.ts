/**
 * Replaying the store's dead letters (the in-process runner's era.dlq) after the cause was
 * fixed, with the rules of `era-ingest dlq replay`: the letters matching the filter not replayed
 * yet (or every one with `all`) are handed back to the stage that rejected them — the runner
 * starts at that stage, as `dlq replay` re-publishes to the stage's input topic — with their
 * original version (a replayed document never overtakes a version stored after it) and job (a
 * failed document of the job completes when its replay is stored), and their attempts carried
 * (a letter that fails again is recorded anew with its attempts increased).
 *
 * Letters are marked replayed when taken (as the Kafka replay commits its group's offsets once
 * it re-published them), before the run: a run that stops early (shutdown, an outage past the
 * retry deadline) leaves them marked; replay them again with `all`.
 */
import type { StageSpec } from '../dataflow/declare.ts';
import { PIPELINE } from '../dataflow/pipeline.ts';
import { takeDeadLettersForReplay, type DeadLetterFilter, type StoredDeadLetter } from '../storage/dead-letters.ts';
import { codecFor } from '../topics/codec-async.ts';
import type { Messages } from '../topics/messages.ts';
import { topicName } from '../topics/names.ts';
import { decodeRawDocument } from '../topics/raw-document.ts';
import { runInProcess, type Envelope } from './runner.ts';
import { storeRunOptions, trackTaken, versionedEntries, type FeedEntry, type StoreRunContext } from './store-feed.ts';

export interface StoreReplayResult {
  /** Letters handed back to their stage. */
  replayed: number;
  /** Letters passed over: not matching the filter, or of a stage or kind this pipeline does not have, or undecodable. */
  skipped: number;
  /** Letters replayed per stage. */
  byStage: Record<string, number>;
}

/** A taken letter ready to run: its stage and its message (a raw letter without a recorded version gets the next one). */
interface Ready {
  stage: StageSpec;
  envelope?: Envelope<unknown>;
  /** A raw letter recorded without its version. */
  unversioned?: FeedEntry;
  attempts: number;
}

async function prepare(letter: StoredDeadLetter, topicPrefix: string): Promise<Ready | undefined> {
  const stage = PIPELINE.stages.find((s) => s.name === letter.stage);
  if (!stage || stage.input.kind !== letter.messageKind) return undefined;
  const origin = letter.origin ?? letter.docId ?? `dead letter ${letter.id}`;
  try {
    if (stage.input.kind === 'raw') {
      const doc = letter.value === null ? null : decodeRawDocument(null, letter.value);
      const docId = letter.docId ?? doc?.id;
      if (docId === undefined) return undefined;
      const jobId = letter.jobId;
      if (letter.docVersion === undefined) return { stage, unversioned: { docId, doc, origin, ...(jobId !== undefined ? { jobId } : {}) }, attempts: letter.attempts };
      const value: Messages['raw'] = { docId, doc, version: letter.docVersion, ...(jobId !== undefined ? { jobId } : {}) };
      return { stage, envelope: { value, origin }, attempts: letter.attempts };
    }
    if (letter.value === null) return undefined;
    const codec = await codecFor(stage.input.kind, topicName(topicPrefix, stage.input.name), { codec: 'json', schemaRegistryUrl: undefined });
    return { stage, envelope: { value: await codec.decode(letter.value), origin }, attempts: letter.attempts };
  } catch {
    return undefined;
  }
}

/**
 * Takes the letters to replay and starts their runs.
 * @returns the counts (once the letters are taken) and `done`, which resolves when every run
 *   ended (never rejects: a run that stops is reported to `onError`).
 */
export async function replayStoreDeadLetters(run: StoreRunContext, filter: DeadLetterFilter, { all, signal, onError }: { all: boolean; signal?: AbortSignal; onError?: (stage: StageSpec, error: unknown) => void }): Promise<StoreReplayResult & { done: Promise<void> }> {
  const { letters, skipped: unmatched } = await takeDeadLettersForReplay(run.client, filter, { all });
  const byStage: Record<string, number> = {};
  const groups = new Map<StageSpec, Ready[]>();
  let skipped = unmatched;
  for (const letter of letters) {
    const ready = await prepare(letter, run.config.topicPrefix);
    if (!ready) {
      skipped += 1;
      continue;
    }
    byStage[ready.stage.name] = (byStage[ready.stage.name] ?? 0) + 1;
    groups.set(ready.stage, [...(groups.get(ready.stage) ?? []), ready]);
  }
  const attemptsOf = new WeakMap<Envelope<unknown>, number>();
  const unversionedAttempts = new Map<string, number>();
  async function* source(ready: Ready[]): AsyncGenerator<Envelope<unknown>> {
    for (const r of ready) {
      if (!r.envelope) continue;
      attemptsOf.set(r.envelope, r.attempts);
      if (r.stage === PIPELINE.stages[0]) {
        const value = r.envelope.value as Messages['raw'];
        trackTaken(run.jobs, { jobId: value.jobId, docId: value.docId });
      }
      yield r.envelope;
    }
    const unversioned = ready.flatMap((r) => (r.unversioned ? [r.unversioned] : []));
    for (const r of ready) if (r.unversioned) unversionedAttempts.set(r.unversioned.origin, r.attempts);
    for await (const envelope of versionedEntries(run.client, unversioned, (entry) => trackTaken(run.jobs, entry))) {
      attemptsOf.set(envelope, unversionedAttempts.get(envelope.origin) ?? 0);
      yield envelope;
    }
  }
  const done = (async () => {
    // Earlier stages first, one run per stage, each entering at its stage.
    for (const stage of PIPELINE.stages) {
      const ready = groups.get(stage);
      if (!ready || signal?.aborted) continue;
      try {
        await runInProcess(source(ready), storeRunOptions(run, { from: stage, priorAttempts: (input) => attemptsOf.get(input) ?? 0, ...(signal ? { signal } : {}) }));
      } catch (error) {
        onError?.(stage, error);
      }
    }
    await run.jobs.flush();
  })();
  return { replayed: letters.length - (skipped - unmatched), skipped, byStage, done };
}
