/**
 * The sink the Kafka stage runner writes its outcomes to. The runner's outcomes carry each
 * output as a value with the record it was encoded to; the record sink (./sink.ts for
 * at-least-once, ./transactional-sink.ts for exactly-once) sees record outcomes — one per
 * outcome for the outcome's whole life, as a sink may remember across retries what it wrote —
 * and the outcomes it drops are handed back as the runner's.
 */
import type { OutcomeSink } from '../engine/sink-stream.ts';
import type { InputMessage, OutputRecord, RecordOutcome, StageOutcome, Encoded } from './records.ts';

export function encodedSink<Out>(records: OutcomeSink<InputMessage, OutputRecord>): OutcomeSink<InputMessage, Encoded<Out>> {
  const asRecords = new WeakMap<StageOutcome<Out>, RecordOutcome>();
  const recordsOf = (o: StageOutcome<Out>): RecordOutcome => {
    let r = asRecords.get(o);
    if (!r) asRecords.set(o, (r = o.poison ? o : { input: o.input, outputs: o.outputs.map((e) => e.record) }));
    return r;
  };
  return {
    write: async (outcomes) => {
      const dropped = await records.write(outcomes.map(recordsOf));
      return dropped && new Set(outcomes.filter((o) => dropped.has(recordsOf(o))));
    },
  };
}
