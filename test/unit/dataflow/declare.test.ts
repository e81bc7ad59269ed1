import { describe, expect, it } from 'vitest';
import { dataflow, stage, stream, type StreamSpec } from '../../../src/dataflow/declare.ts';
import { chunks, PIPELINE } from '../../../src/dataflow/pipeline.ts';
import { topicNames, topicSpecs } from '../../../src/dataflow/topics.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { stageFlow } from '../../../src/service/stage-flow.ts';
import { auditedDataflow } from '../../helpers/audited-dataflow.ts';

const noop = { requests: { cpu: '1', memory: '1Mi' }, limits: { cpu: '1', memory: '1Mi' }, lagThreshold: 1, notes: [] };
const passThrough = async () => ({ batch: { size: 1, lingerMs: 0 }, concurrency: 1, process: async <T>(batch: readonly T[]) => batch.map((v) => [v]) });

describe('the dataflow declaration', () => {
  it('derives stage names, topics, phases and downstream stages from the product pipeline', () => {
    expect(PIPELINE.stageNames).toEqual(['chunk', 'embed', 'minister', 'store']);
    expect(PIPELINE.phases).toEqual(['queued', 'chunking', 'embedding', 'aggregation', 'storage', 'complete', 'failed']);
    expect(PIPELINE.inputTopics(PIPELINE.stage('chunk'), 'era')).toEqual(['era.raw.priority', 'era.raw']);
    expect(PIPELINE.outputTopic(PIPELINE.stage('store'), 'era')).toBe('era.stored');
    expect(PIPELINE.downstreamOf(PIPELINE.stage('embed'))?.name).toBe('minister');
    expect(PIPELINE.downstreamOf(PIPELINE.stage('store'))).toBeUndefined();
    expect(topicNames('x')).toEqual({
      raw: 'x.raw', rawPriority: 'x.raw.priority', chunks: 'x.chunks', embeddings: 'x.embeddings', ministers: 'x.ministers', stored: 'x.stored', dlq: 'x.dlq', reembed: 'x.reembed',
    });
    expect(topicSpecs('x').filter((t) => t.compacted).map((t) => t.topic)).toEqual(['x.raw.priority', 'x.raw']);
  });

  it('sees an added stage everywhere without any other change: topics, phases, flow control', () => {
    const flow = auditedDataflow({ seen: 0 });
    expect(flow.stageNames).toEqual(['chunk', 'embed', 'minister', 'audit', 'store']);
    expect(topicSpecs('t', flow).map((s) => s.topic)).toContain('t.audited');
    expect(flow.phases).toEqual(['queued', 'chunking', 'embedding', 'aggregation', 'auditing', 'storage', 'complete', 'failed']);
    expect(flow.phaseAfter(flow.stage('minister'))).toBe('auditing');
    const config = loadConfig({ TOPIC_PREFIX: 't', GROUP_PREFIX: 'g' });
    expect(stageFlow(flow, flow.stage('minister'), config, 0).downstream).toEqual({ groupId: 'g.audit', topic: 't.ministers' });
    expect(stageFlow(flow, flow.stage('audit'), config, 0).downstream).toEqual({ groupId: 'g.store', topic: 't.audited' });
    expect(flow.inputTopics(flow.stage('store'), 't')).toEqual(['t.audited']);
  });

  it('refuses a declaration that is not a chain, names twice, or a priority lane past the source', () => {
    const a: StreamSpec<'chunks'> = stream('a', 'chunks');
    const b: StreamSpec<'chunks'> = stream('b', 'chunks');
    const s = (name: string, input: StreamSpec<'chunks'> = a, output: StreamSpec<'chunks'> = b) => stage({ name, summary: '', input, output, phase: name, needs: {}, deploy: noop, create: passThrough });
    expect(() => dataflow([s('one'), s('two')])).toThrow(/stage "two" reads stream "a" but the stage before it, "one", writes "b"/);
    expect(() => dataflow([s('one'), s('one', b, stream('c', 'chunks'))])).toThrow(/stage name "one" is declared twice/);
    expect(() => dataflow([s('one', a, stream('a', 'chunks'))])).toThrow(/stream name "a" is used twice/);
    expect(() => dataflow([s('one', chunks, stream('p', 'chunks', { priorityLane: true }))])).toThrow(/only the source stream may have one/);
    expect(() => PIPELINE.stage('summarise')).toThrow(/no stage "summarise": the stages are chunk, embed, minister, store/);
  });
});
