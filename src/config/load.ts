import { ConfigError } from '../errors/pipeline-error.ts';
import { hidePassword } from './database-url.ts';
import { applyPreset, isProfile } from './presets.ts';
import { SETTINGS, type Config, type SettingKey } from './schema.ts';

/**
 * Builds the configuration from environment variables (and overrides, e.g. CLI flags, keyed by
 * setting). Every problem is reported at once, each naming the variable, the value and the fix.
 */
export function loadConfig(explicitEnv: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<SettingKey, string>> = {}): Config {
  // Precedence: flag > explicit env > PROFILE preset > schema default.
  const profile = overrides.profile ?? explicitEnv[SETTINGS.profile.env] ?? SETTINGS.profile.default;
  const env = isProfile(profile) ? applyPreset(profile, explicitEnv) : explicitEnv;
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
    // An empty variable counts as unset (compose's `${VAR:-}`, `VAR= cmd`).
    const fromEnv = env[setting.env] === '' ? undefined : env[setting.env];
    const raw = overrides[key] ?? fromEnv ?? setting.default;
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      // A URL's password is a secret too, whichever setting it is in.
      const shown = 'secret' in setting && setting.secret ? '***' : JSON.stringify(typeof raw === 'string' ? hidePassword(raw) : raw);
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      problems.push(`${setting.env}=${shown} is invalid (${why}). ${setting.help}${setting.default !== undefined ? ` Default: ${setting.default}.` : ''}`);
    }
  }
  const config = out as Config;
  if (problems.length === 0) {
    if (config.chunkOverlap >= config.chunkTokens) problems.push(`CHUNK_OVERLAP=${config.chunkOverlap} must be smaller than CHUNK_TOKENS=${config.chunkTokens}.`);
    if (config.codec === 'avro' && !config.schemaRegistryUrl) problems.push('CODEC=avro needs SCHEMA_REGISTRY_URL (a Confluent-compatible registry, e.g. http://127.0.0.1:18081/apis/ccompat/v7).');
    if (config.apiAuth === 'none' && config.apiToken !== undefined) problems.push('API_AUTH=none and API_TOKEN are both set: unset API_TOKEN to serve without authentication, or API_AUTH to require the token.');
    if (config.kafkaSaslMechanism !== 'none' && (!config.kafkaSaslUsername || !config.kafkaSaslPassword)) {
      problems.push(`KAFKA_SASL_MECHANISM=${config.kafkaSaslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.`);
    }
  }
  if (problems.length === 1) throw new ConfigError(`invalid configuration: ${problems[0]}`);
  if (problems.length) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
