/**
 * `era-ingest dlq replay --data-dir <dir>` (or `--db <url>`): the dead letters `era-ingest run`
 * recorded in its store, replayed through the in-process pipeline with the rules of the Kafka
 * `dlq replay` and of the console's replay (../in-process/replay-dead-letters.ts): each letter
 * re-enters at the stage that rejected it, with its version and job; one that fails again is
 * recorded anew with its attempts increased. Resolves with the counts once every replayed letter
 * was stored or recorded again; a run that stops (a dependency down past the retry deadline)
 * is a failure naming the stage and the cause.
 */
import { PIPELINE } from '../dataflow/pipeline.ts';
import { retryPolicyFor } from '../config/presets.ts';
import { RUN_RETRY_DEADLINE_MS } from '../config/retry-policy.ts';
import type { Config } from '../config/schema.ts';
import { createResources } from '../dataflow/resources.ts';
import { replayStoreDeadLetters, type StoreReplayResult } from '../in-process/replay-dead-letters.ts';
import { createLogger } from '../log/logger.ts';
import { JobTracker } from '../service/job-tracker.ts';
import { deadLetterCount, type DeadLetterFilter } from '../storage/dead-letters.ts';
import { CliError, EXIT } from './context.ts';
import { withStore, type StoreChoice } from './open-store.ts';

export async function replayEmbeddedDeadLetters(choice: StoreChoice, config: Config, filter: DeadLetterFilter, { all }: { all: boolean }): Promise<StoreReplayResult & { recordedAgain: number }> {
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { command: 'dlq replay' }, process.stderr);
  return withStore(choice, config, async (client, store) => {
    const resources = createResources(store.config, { openDatabase: async () => client, ownsDatabase: false });
    const jobs = new JobTracker(client, PIPELINE, logger);
    const stopped: string[] = [];
    try {
      const before = await deadLetterCount(client);
      const { done, ...result } = await replayStoreDeadLetters({ client, config: store.config, resources, jobs, retryPolicy: retryPolicyFor(config, RUN_RETRY_DEADLINE_MS) }, filter, {
        all,
        onError: (stage, error) => stopped.push(`${stage.name}: ${(error as Error).message}`),
      });
      await done;
      if (stopped.length) throw new CliError(`the replay stopped before every letter was stored (${stopped.join('; ')}); the letters taken are marked replayed: run \`era-ingest dlq replay --all\` with the same store once the cause is fixed`, EXIT.failure);
      return { ...result, recordedAgain: (await deadLetterCount(client)) - before };
    } finally {
      await jobs.close();
      await resources.close();
    }
  });
}
