/** What a stage's transform observes, as Prometheus metrics labelled with the stage. */
import type { StageObserver } from '../stages/transform.ts';
import type { Metrics } from '../metrics/metrics.ts';

export function metricsObserver(metrics: Metrics, stage: string): StageObserver {
  const label = { stage };
  return {
    embedRequest: (outcome, seconds) => metrics.embedSeconds.observe({ ...label, outcome }, seconds),
    embedded: (_fresh, reused) => {
      if (reused > 0) metrics.embedCacheHits.inc(label, reused);
    },
    embedConcurrency: (limit) => metrics.embedConcurrency.set(label, limit),
    skipped: (error) => metrics.errors.inc({ ...label, code: error.code }),
  };
}
