/**
 * A commit of offsets that counts only when the broker accepted it.
 *
 * kafkajs resolves `consumer.commitOffsets` without sending anything while its consumer is not
 * running — between a crash and the restart it does by itself (runner.js `commitOffsets`:
 * "consumer not running, exiting"). Taken as done, such a commit would let the committer believe
 * the group stands where it does not: after the rejoin the broker redelivers from its older
 * position, the records are recognised as already handled, and the group never reaches the end.
 * So a commit is confirmed by kafkajs' COMMIT_OFFSETS event, which it emits only after the
 * coordinator answered (offsetManager `commitOffsets`); without it the commit fails as a
 * dependency failure and the committer keeps the offsets for its next attempt. Auto-commit is
 * off and the committer sends one commit at a time, so the event seen is this commit's.
 */
import type { Consumer } from 'kafkajs';
import type { CommitFn } from '../engine/offset-committer.ts';
import { DependencyError } from '../errors/pipeline-error.ts';

export function confirmedCommit(consumer: Consumer): CommitFn {
  return async (offsets) => {
    let confirmed = false;
    const stop = consumer.on(consumer.events.COMMIT_OFFSETS, () => {
      confirmed = true;
    });
    try {
      await consumer.commitOffsets(offsets);
    } finally {
      stop();
    }
    if (!confirmed) throw new DependencyError('kafka', 'offsets were not committed: the consumer is restarting (kafkajs sends no commit meanwhile); they are committed once it has rejoined');
  };
}
