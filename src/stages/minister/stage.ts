/**
 * The minister stage: `era.embeddings` → `era.ministers`. Profiles are embedded once at start
 * with the same embedder as the embed stage; routing is the pure `routeValue`. Output stays
 * keyed by document id, so parallelism does not depend on the number of ministers.
 */
import { PipelineError } from '../../errors/pipeline-error.ts';
import type { DecodedInput, OutputRecord, StageDefinition } from '../../runtime/stage.ts';
import { outputHeaders } from '../../runtime/output-headers.ts';
import type { StageCodecs } from '../../topics/codec-async.ts';
import type { EmbeddingsValue } from '../../topics/messages.ts';
import type { TopicNames } from '../../topics/names.ts';
import { STAGE_INPUTS } from '../inputs.ts';
import type { Embedder } from '../../embedding/types.ts';
import type { MinisterProfiles } from './profiles.ts';
import { routeBatch } from './route-batch.ts';
import type { RouteOptions } from './route.ts';

export interface MinisterStageOptions {
  topics: TopicNames;
  profiles: MinisterProfiles;
  route?: RouteOptions;
  /** The profiles' embedder when it is lexical: chunks are routed by their content words (./route-batch.ts). */
  lexical?: Embedder;
  codecs: Pick<StageCodecs, 'embeddings' | 'ministers'>;
}

export function ministerStage({ topics, profiles, route = {}, lexical, codecs }: MinisterStageOptions): StageDefinition<EmbeddingsValue> {
  return {
    name: 'minister',
    inputTopics: STAGE_INPUTS.minister,
    outputTopics: (t) => [t.ministers],
    batch: { size: 64, lingerMs: 2 },
    decode: (message) => codecs.embeddings.decode(message.value ?? Buffer.alloc(0)),
    async process(batch: ReadonlyArray<DecodedInput<EmbeddingsValue>>, signal: AbortSignal) {
      const routed = await routeBatch(batch.map((b) => b.value), { profiles, options: route, ...(lexical ? { lexical } : {}) }, signal);
      return Promise.all(batch.map(async ({ message, value }, i) => {
        const result = routed[i]!;
        if (result instanceof PipelineError) return result;
        const out: OutputRecord = { topic: topics.ministers, key: value.docId, value: await codecs.ministers.encode(result), headers: outputHeaders(message, value.jobId) };
        return [out];
      }));
    },
    close: async () => lexical?.close?.(),
  };
}
