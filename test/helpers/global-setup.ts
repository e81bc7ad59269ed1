/**
 * Vitest global setup for the projects that need Kafka and PostgreSQL.
 *
 * When KAFKA_BROKERS / DATABASE_URL are set (docker compose, a CI service), they are used as
 * they are. Otherwise the project's own scripts start a local Kafka broker and PostgreSQL +
 * pgvector (infra/kafka/kafka.sh, infra/postgres/postgres.sh), and teardown stops only what
 * this setup started.
 */
import type { TestProject } from 'vitest/node';
import { ensureService, serviceScript } from './service-script.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [kafka, postgres] = await Promise.all([
    ensureService('KAFKA_BROKERS', 'kafka/kafka.sh'),
    ensureService('DATABASE_URL', 'postgres/postgres.sh'),
  ]);
  process.env.KAFKA_BROKERS = kafka.address;
  process.env.DATABASE_URL = postgres.address;
  project.provide('kafkaBrokers', kafka.address);
  project.provide('databaseUrl', postgres.address);
  return async () => {
    if (postgres.started) await serviceScript('postgres/postgres.sh', 'stop');
    if (kafka.started) await serviceScript('kafka/kafka.sh', 'stop');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    databaseUrl: string;
  }
}
