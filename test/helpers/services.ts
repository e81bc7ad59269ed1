import { inject } from 'vitest';

/** Broker list of the real Kafka the integration tests run against (see global-setup.ts). */
export function kafkaBrokers(): string[] {
  return (inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
}

/** Connection string of the real PostgreSQL + pgvector the integration tests run against. */
export function databaseUrl(): string {
  return inject('databaseUrl') ?? process.env.DATABASE_URL ?? '';
}
