/**
 * The `model` scenario's first part, before any pipeline run: is a model server given
 * (OLLAMA_HOST), does it answer as a real model, and what is its ceiling. Never throws: without
 * OLLAMA_HOST the scenario is skipped with how to provide one; a server that does not answer
 * fails this scenario alone. The pipeline runs with the model are the embedded and Kafka
 * scenarios with embedder `model` (bench/run.ts), held against the ceiling returned here.
 */
import type { BenchReport } from '../lib/types.ts';
import { measureModelCeiling, type ModelCeilingOptions } from './ceiling.ts';
import { probeModelServer, START_HINT } from './server.ts';

export interface PrepareModelOptions extends Omit<ModelCeilingOptions, 'server'> {
  /** OLLAMA_HOST from the environment; undefined = skip. */
  host: string | undefined;
  /** EMBED_MODEL. */
  model: string;
}

export async function prepareModel({ host, model, ...rest }: PrepareModelOptions): Promise<NonNullable<BenchReport['model']>> {
  if (!host) return { skipped: `OLLAMA_HOST is not set: ${START_HINT}` };
  try {
    rest.log(`model: checking ${model} at ${host}`);
    const server = await probeModelServer(host, model);
    rest.log(`model: ${model} on Ollama ${server.version}, ${server.dimension} dimensions; measuring its ceiling`);
    return await measureModelCeiling({ server, ...rest });
  } catch (error) {
    rest.log(`model: FAILED: ${(error as Error).message}`);
    return { failed: (error as Error).message };
  }
}
