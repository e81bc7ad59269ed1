/**
 * The vector dimension a process works with, settled once at start; the one place that decides it.
 *
 * | embedder | EMBED_DIM set                                   | EMBED_DIM unset                  |
 * |----------|-------------------------------------------------|----------------------------------|
 * | hash     | EMBED_DIM                                       | the store's dimension, else 384  |
 * | a model  | EMBED_DIM, checked against the model's answer   | the model's answer to one probe  |
 *
 * A model is probed with one short text before anything is written, so a wrong EMBED_DIM, an
 * unknown model, a refused key or a store of another dimension is a configuration error at
 * start (exit 2) instead of a store created with a vector size no correct run can use.
 * Commands that do not embed pass `verify: false`: a model is then probed only when neither
 * EMBED_DIM nor the store says the dimension.
 */
import type { Config, Settled } from '../config/schema.ts';
import { ConfigError } from '../errors/pipeline-error.ts';
import { createEmbedder, type EmbedderConfig } from './create-embedder.ts';
import { HASH_DEFAULT_DIMENSION } from './hash-embedder.ts';

export type DimensionConfig = Omit<EmbedderConfig, 'embedDim'> & Pick<Config, 'embedDim'>;

export interface SettleOptions {
  /** The dimension of the store the process writes to (undefined: none yet). Read only when needed. */
  stored?: () => Promise<number | undefined>;
  /** Probe a model even when the dimension is known, to check it. @defaultValue true */
  verify?: boolean;
  /** Runs the probe: a retry policy for a server that is still starting. @defaultValue once */
  retry?: <T>(attempt: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
}

/** A short text whose only purpose is to learn the model's vector length. */
const PROBE_TEXT = 'era-ingest dimension probe';

/**
 * The dimension for `config` (see the table above).
 * @throws ConfigError when EMBED_DIM or the store disagrees with the model, or the model server
 *   reports a configuration error (unknown model, refused key); DependencyError when the server
 *   stays unreachable through `retry`.
 */
export async function settleDimension(config: DimensionConfig, { stored, verify = true, retry = (attempt) => attempt(), signal }: SettleOptions = {}): Promise<number> {
  if (config.embedder === 'hash') return config.embedDim ?? (await stored?.()) ?? HASH_DEFAULT_DIMENSION;
  if (!verify) {
    const known = config.embedDim ?? (await stored?.());
    if (known !== undefined) return known;
  }
  const probe = createEmbedder({ ...config, embedDim: 'any' });
  let answered: number;
  try {
    const [vector] = await retry(() => probe.embed([PROBE_TEXT], signal));
    answered = vector!.length;
  } finally {
    await probe.close?.();
  }
  const model = `model ${config.embedModel} (EMBEDDER=${config.embedder})`;
  if (config.embedDim !== undefined && config.embedDim !== answered) {
    throw new ConfigError(`EMBED_DIM=${config.embedDim} does not match ${model}, which returns ${answered}-dimensional vectors: set EMBED_DIM=${answered}, or leave EMBED_DIM unset to take the model's dimension.`);
  }
  const inStore = await stored?.();
  if (inStore !== undefined && inStore !== answered) {
    throw new ConfigError(`${model} returns ${answered}-dimensional vectors, but the store's chunks.embedding column is vector(${inStore}): ` +
      `use the model the store was built with (a ${inStore}-dimensional one), or a new, empty store (another --data-dir or DATABASE_URL) for this model; ` +
      'era-ingest reembed --model adds a model with another dimension beside the stored one.');
  }
  return answered;
}

/** `config` with its dimension settled (see settleDimension). */
export async function settleConfig<C extends DimensionConfig>(config: C, options?: SettleOptions): Promise<Settled<C>> {
  return { ...config, embedDim: await settleDimension(config, options) };
}
