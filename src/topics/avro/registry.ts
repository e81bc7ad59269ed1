/**
 * Schema registration against a Confluent-compatible registry (Confluent Schema Registry,
 * Apicurio Registry's /apis/ccompat/v7, …) through @kafkajs/confluent-schema-registry.
 *
 * Every value schema is registered under its TopicNameStrategy subject (`<topic>-value`) with
 * BACKWARD compatibility, at `topics create` and at stage start: an incompatible change is
 * refused by the registry and stops the process with a ConfigError naming the subject.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ConfigError, DependencyError, PipelineError } from '../../errors/pipeline-error.ts';
import type { TopicSpec } from '../names.ts';
import { VALUE_SCHEMAS, valueSubject, type AvroRecordSchema } from './schemas.ts';

export const REGISTRY_DEPENDENCY = 'schema registry';

export interface RegistryClient {
  /** Base URL, e.g. http://127.0.0.1:18081/apis/ccompat/v7 (no trailing slash). */
  url: string;
  registry: SchemaRegistry;
  /** Per-request timeout, ms. */
  timeoutMs: number;
}

/** Per-request timeout, ms: the client has none by default, so a registry that accepts but never answers would hang a stage. */
export const REGISTRY_REQUEST_TIMEOUT_MS = 10_000;

type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

const requestTimeout = (ms: number): Middleware => () => ({
  prepareRequest: (next) => next().then((request) => request.enhance({ timeout: ms })),
});

export function createRegistryClient(url: string, { timeoutMs = REGISTRY_REQUEST_TIMEOUT_MS }: { timeoutMs?: number } = {}): RegistryClient {
  const base = url.replace(/\/+$/, '');
  // Few, quick retries: a stage retries DependencyErrors itself (partition paused, backoff).
  const registry = new SchemaRegistry({
    host: base,
    clientId: 'era-ingest',
    retry: { retries: 2, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 2 },
    middlewares: [requestTimeout(timeoutMs)],
  });
  return { url: base, registry, timeoutMs };
}

/** HTTP status of an error thrown by the registry client (mappersmith ResponseError), if any. */
export function registryStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Mappersmith reports a network failure (refused, reset, DNS) as a response of status 400 with
 * no registry error body; a registry answers 4xx with `{ error_code, message }`.
 */
export function isUnreachable(error: unknown): boolean {
  const status = registryStatus(error);
  if (status === undefined) return !(error instanceof PipelineError);
  if (status >= 500 || status === 408 || status === 429) return true;
  const message = (error as Error).message ?? '';
  return status === 400 && /network|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket|timeout/i.test(message);
}

async function putCompatibility(client: RegistryClient, subject: string, level: 'BACKWARD'): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${client.url}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: level }),
      signal: AbortSignal.timeout(client.timeoutMs),
    });
  } catch (error) {
    throw new DependencyError(REGISTRY_DEPENDENCY, `cannot reach ${client.url} to set ${level} compatibility on subject "${subject}": ${(error as Error).message}`, error);
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    const fail = `PUT /config/${subject} answered ${response.status}: ${body.slice(0, 500)}`;
    if (response.status >= 500) throw new DependencyError(REGISTRY_DEPENDENCY, fail);
    throw new ConfigError(`schema registry ${client.url} refused ${level} compatibility for subject "${subject}": ${fail}`);
  }
}

/**
 * Registers `schema` under `<topic>-value` with BACKWARD compatibility and returns its id.
 * Same schema again = same id (idempotent). Incompatible = ConfigError naming the subject.
 */
export async function registerValueSchema(client: RegistryClient, topic: string, schema: AvroRecordSchema): Promise<number> {
  const subject = valueSubject(topic);
  // Set the subject's level first: the client only sets it after a first registration, and
  // refuses to register when the subject already has another level.
  await putCompatibility(client, subject, 'BACKWARD');
  try {
    const { id } = await client.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.BACKWARD });
    return id;
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    const status = registryStatus(error);
    const message = (error as Error).message;
    if (status === 409) {
      throw new ConfigError(
        `schema registry rejected the value schema ${schema.namespace ? `${schema.namespace}.` : ''}${schema.name} for subject "${subject}": ` +
          `it is not BACKWARD compatible with the versions already registered (${message}). ` +
          'Only add fields with a default; to start over, delete the subject or use a new TOPIC_PREFIX.',
      );
    }
    if (isUnreachable(error)) throw new DependencyError(REGISTRY_DEPENDENCY, `cannot register subject "${subject}" at ${client.url}: ${message}`, error);
    throw new ConfigError(`schema registry ${client.url} refused subject "${subject}" (${status ?? 'no status'}): ${message}`);
  }
}

/** Registers the value schema of every topic that has one (not the DLQ); returns the ids by topic. */
export async function registerAllValueSchemas(client: RegistryClient, topics: readonly TopicSpec[]): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (const { topic, kind } of topics) if (kind) ids[topic] = await registerValueSchema(client, topic, VALUE_SCHEMAS[kind]);
  return ids;
}
