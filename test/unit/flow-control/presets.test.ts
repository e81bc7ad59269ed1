import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { SETTINGS } from '../../../src/config/schema.ts';
import { AdaptiveController } from '../../../src/flow-control/adaptive-controller.ts';
import { applyPreset, isProfile, PRESETS, presetDefaults, type Profile } from '../../../src/config/presets.ts';
import { TokenBucket } from '../../../src/flow-control/token-bucket.ts';
import { DEFAULT_RETRY_POLICY } from '../../../src/config/retry-policy.ts';

const PROFILES = Object.keys(PRESETS) as Profile[];

describe('flow-control presets', () => {
  it('has one preset per PROFILE value of the schema', () => {
    expect(PROFILES.sort()).toEqual([...SETTINGS.profile.schema.options].sort());
  });

  it.each(PROFILES)('%s: parses with the config schema when merged, and its values reach the config', (profile) => {
    const preset = PRESETS[profile];
    const config = loadConfig(applyPreset(profile, { PROFILE: profile }));
    expect(config).toMatchObject({
      profile,
      maxInFlight: preset.maxInFlight,
      maxInFlightBytes: preset.maxInFlightBytes,
      embedBatchSize: preset.embedBatchSize,
      embedConcurrency: preset.embedConcurrency,
      dbPoolSize: preset.dbPoolSize,
    });
    // The largest accepted document must fit in flight, or its partition stalls for good.
    expect(preset.maxInFlightBytes).toBeGreaterThanOrEqual(config.maxDocumentBytes);
  });

  it.each(PROFILES)('%s: non-schema values are valid for the flow-control components', (profile) => {
    const p = PRESETS[profile];
    expect(() => new TokenBucket({ ratePerSec: p.ratePerSec, burst: p.burst, nowMs: 0 })).not.toThrow();
    expect(() => new AdaptiveController({ baseRate: p.ratePerSec })).not.toThrow();
    for (const n of [p.storeBatchSize, p.chunkBatchSize, p.downstreamLagLimit]) expect(Number.isInteger(n) && n > 0).toBe(true);
    expect(p.retry.initialMs).toBeGreaterThan(0);
    expect(p.retry.maxMs).toBeGreaterThanOrEqual(p.retry.initialMs);
    expect(p.retry.factor).toBeGreaterThan(1);
    expect(p.burst).toBeGreaterThanOrEqual(1);
  });

  it('standard equals the schema defaults and the default retry policy (the default PROFILE changes nothing)', () => {
    for (const [name, value] of Object.entries(presetDefaults('standard'))) {
      const setting = Object.values(SETTINGS).find((s) => s.env === name);
      expect(setting?.default, name).toBe(value);
    }
    expect(PRESETS.standard.retry).toEqual({ initialMs: DEFAULT_RETRY_POLICY.initialMs, maxMs: DEFAULT_RETRY_POLICY.maxMs, factor: DEFAULT_RETRY_POLICY.factor });
  });

  it('scales up from local to high-throughput', () => {
    for (const key of ['maxInFlight', 'maxInFlightBytes', 'embedConcurrency', 'dbPoolSize', 'downstreamLagLimit'] as const) {
      expect(PRESETS.local[key]).toBeLessThanOrEqual(PRESETS.standard[key]);
      expect(PRESETS.standard[key]).toBeLessThanOrEqual(PRESETS['high-throughput'][key]);
    }
  });

  it('presetDefaults gives env strings keyed by the schema env names', () => {
    expect(presetDefaults('high-throughput')).toEqual({
      MAX_IN_FLIGHT: '10000',
      MAX_IN_FLIGHT_BYTES: String(256 * 1024 * 1024),
      EMBED_BATCH_SIZE: '64',
      EMBED_CONCURRENCY: '8',
      DB_POOL_SIZE: '16',
      STORE_WRITERS: '8',
    });
  });

  it('explicit env beats the preset, which beats the schema default; CLI overrides beat both', () => {
    const explicit = { MAX_IN_FLIGHT: '123', EMBED_CONCURRENCY: undefined, KAFKA_BROKERS: 'k:9092' };
    const env = applyPreset('high-throughput', explicit);
    expect(explicit).toEqual({ MAX_IN_FLIGHT: '123', EMBED_CONCURRENCY: undefined, KAFKA_BROKERS: 'k:9092' }); // not modified
    const config = loadConfig(env, { dbPoolSize: '3' });
    expect(config.maxInFlight).toBe(123); // explicit env
    expect(config.embedConcurrency).toBe(8); // preset (undefined = unset)
    expect(config.dbPoolSize).toBe(3); // CLI override
    expect(config.embedDim).toBeUndefined(); // schema default: settled at start
    expect(config.kafkaBrokers).toEqual(['k:9092']);
  });

  it('rejects an unknown profile, naming it', () => {
    expect(isProfile('turbo')).toBe(false);
    expect(isProfile('local')).toBe(true);
    expect(isProfile('toString')).toBe(false);
    expect(() => applyPreset('turbo' as Profile, {})).toThrow(/PROFILE="turbo" is not a preset; expected one of local, standard, high-throughput/);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(PRESETS)).toBe(true);
    expect(Object.isFrozen(PRESETS.local)).toBe(true);
    expect(Object.isFrozen(PRESETS.local.retry)).toBe(true);
  });
});
