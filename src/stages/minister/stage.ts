/**
 * The minister stage: embedded chunks → routed chunks. Profiles are embedded once at start with
 * the same embedder as the embed stage; routing is ./route-batch.ts (a lexical embedder routes
 * by the chunk's content words). A chunk that cannot be routed is poison for that input alone.
 */
import { PipelineError } from '../../errors/pipeline-error.ts';
import type { Embedder } from '../../embedding/types.ts';
import type { StageContext, Transform } from '../transform.ts';
import type { EmbeddingsValue, MinistersValue } from '../../topics/messages.ts';
import type { MinisterProfiles } from './profiles.ts';
import { routeBatch } from './route-batch.ts';
import type { RouteOptions } from './route.ts';

export interface MinisterTransformOptions {
  profiles: MinisterProfiles;
  route?: RouteOptions;
  /** The profiles' embedder when it is lexical: chunks are routed by their content words. */
  lexical?: Embedder;
}

export function ministerTransform({ profiles, route = {}, lexical }: MinisterTransformOptions): Transform<EmbeddingsValue, MinistersValue> {
  return {
    batch: { size: 64, lingerMs: 2 },
    concurrency: 1,
    async process(batch, signal) {
      const routed = await routeBatch(batch, { profiles, options: route, ...(lexical ? { lexical } : {}) }, signal);
      return routed.map((r) => (r instanceof PipelineError ? r : [r]));
    },
  };
}

export async function createMinisterTransform({ resources }: StageContext): Promise<Transform<EmbeddingsValue, MinistersValue>> {
  const embedder = resources.embedder();
  const profiles = await resources.ministers();
  return ministerTransform({ profiles, ...(embedder.kind === 'lexical' ? { lexical: embedder } : {}) });
}
