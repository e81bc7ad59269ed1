import { inject } from 'vitest';

/** Broker list of the real Kafka the integration tests run against (see global-setup.ts). */
export function kafkaBrokers(): string[] {
  return (inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
}

/** Connection string of the real PostgreSQL + pgvector the integration tests run against. */
export function databaseUrl(): string {
  return inject('databaseUrl') ?? process.env.DATABASE_URL ?? '';
}

/** Base URL of the real Ollama serving all-MiniLM-L6-v2 (the `model` project; see ollama-setup.ts). */
export function ollamaHost(): string {
  const host = inject('ollamaHost');
  if (!host) throw new Error('no real Ollama: run this test in the `model` project (vitest --project model), whose setup starts one');
  return host;
}
