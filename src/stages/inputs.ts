import type { StageName } from '../runtime/stage.ts';
import type { TopicNames } from '../topics/names.ts';

/** Input topics of each product stage, in priority order (the same as their definitions). */
export const STAGE_INPUTS: Record<StageName, (topics: TopicNames) => string[]> = {
  chunk: (t) => [t.rawPriority, t.raw],
  embed: (t) => [t.chunks],
  minister: (t) => [t.embeddings],
  store: (t) => [t.ministers],
};
