/**
 * The pipeline, declared once (DESIGN.md §1):
 *
 *   raw ─▶ [chunk] ─▶ chunks ─▶ [embed] ─▶ embeddings ─▶ [minister] ─▶ ministers ─▶ [store] ─▶ stored
 *
 * Everything else derives from this list: topic names, consumer groups, the `stage` and
 * `replay --stage` choices, job phases, flow control's downstream stage, both runners (one
 * stage per process over Kafka: src/kafka/stage-runner.ts; all stages in one process over
 * Node streams: src/in-process/runner.ts), and the compose, Kubernetes and Prometheus lists
 * (`npm run gen:deploy`). To add a stage, write its transform and add it here.
 */
import { createChunkTransform } from '../stages/chunk/stage.ts';
import { createEmbedTransform } from '../stages/embed/stage.ts';
import { createMinisterTransform } from '../stages/minister/stage.ts';
import { createStoreTransform } from '../stages/store/stage.ts';
import { dataflow, stage, stream } from './declare.ts';

/** Documents as published: compacted, so the latest version of every document can be replayed. */
export const raw = stream('raw', 'raw', { priorityLane: true, compacted: true });
export const chunks = stream('chunks', 'chunks');
export const embeddings = stream('embeddings', 'embeddings');
export const ministers = stream('ministers', 'ministers');
export const stored = stream('stored', 'stored');

export const PIPELINE = dataflow([
  stage({
    name: 'chunk',
    summary: 'splits each document into chunks (a tombstone into a delete)',
    input: raw,
    output: chunks,
    phase: 'chunking',
    needs: {},
    deploy: {
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1', memory: '512Mi' },
      lagThreshold: 200,
      notes: [
        'Two triggers, one per input topic, on the same group: the Kafka scaler takes one topic, and',
        'the priority lane must be able to scale the stage by itself (a priority burst while the',
        'normal lane is idle). The HPA follows the trigger that asks for more replicas.',
      ],
    },
    create: createChunkTransform,
  }),
  stage({
    name: 'embed',
    summary: 'embeds each chunk (EMBEDDER, OLLAMA_HOST or OPENAI_BASE_URL; DATABASE_URL to reuse stored vectors)',
    input: chunks,
    output: embeddings,
    phase: 'embedding',
    needs: { embedder: true, database: 'optional' },
    deploy: {
      requests: { cpu: '250m', memory: '384Mi' },
      limits: { cpu: '2', memory: '768Mi' },
      lagThreshold: 500,
      notes: [
        'Embedding is the slow step; its throughput is bounded by the Ollama hosts (EMBED_CONCURRENCY',
        'requests per replica), so more replicas than Ollama can serve only queue there.',
      ],
    },
    create: createEmbedTransform,
  }),
  stage({
    name: 'minister',
    summary: 'routes each chunk to its minister and category (MINISTERS_FILE)',
    input: embeddings,
    output: ministers,
    phase: 'aggregation',
    needs: { embedder: true },
    deploy: {
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '1', memory: '512Mi' },
      lagThreshold: 2000,
      notes: [
        'At start it embeds the minister profiles (the model server with EMBEDDER=ollama|openai) before joining its group;',
        'it is live meanwhile and becomes ready once it consumes.',
      ],
    },
    create: createMinisterTransform,
  }),
  stage({
    name: 'store',
    summary: 'stores chunks and documents in PostgreSQL + pgvector, one event per stored document (DATABASE_URL)',
    input: ministers,
    output: stored,
    phase: 'storage',
    needs: { database: 'required' },
    deploy: {
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1', memory: '512Mi' },
      lagThreshold: 1000,
      notes: ['Applies the migrations at start too (under an advisory lock), so it does not wait for the Job.'],
    },
    create: createStoreTransform,
  }),
]);

export type Pipeline = typeof PIPELINE;
export type StageName = Pipeline['stageNames'][number];
