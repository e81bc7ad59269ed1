/**
 * A test-only dataflow: the product pipeline with one more stage, `audit`, a pass-through
 * between minister and store that counts what it sees. Declaring it is the only change: its
 * topic (`<prefix>.audited`), its job phase (`auditing`), the minister stage's downstream group
 * and both runners follow from the declaration (test/integration/dataflow/added-stage.test.ts).
 */
import { dataflow, stage, stream } from '../../src/dataflow/declare.ts';
import { ministers, PIPELINE } from '../../src/dataflow/pipeline.ts';

export interface AuditCounter {
  /** Messages the audit stage passed on (chunks and deletes). */
  seen: number;
}

export const audited = stream('audited', 'ministers');

export function auditedDataflow(counter: AuditCounter) {
  const [chunk, embed, minister, store] = PIPELINE.stages;
  const audit = stage({
    name: 'audit',
    summary: 'passes every routed chunk on unchanged (test only)',
    input: ministers,
    output: audited,
    phase: 'auditing',
    needs: {},
    deploy: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' }, lagThreshold: 1000, notes: [] },
    create: async () => ({
      batch: { size: 32, lingerMs: 2 },
      concurrency: 1,
      async process(batch) {
        counter.seen += batch.length;
        return batch.map((value) => [value]);
      },
    }),
  });
  return dataflow([chunk, embed, minister, audit, { ...store, input: audited }]);
}
