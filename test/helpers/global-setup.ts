/**
 * Vitest global setup for the integration project.
 *
 * When KAFKA_BROKERS / DATABASE_URL are set (docker compose, a CI service), they are used as
 * they are. Otherwise the project's own scripts start a local Kafka broker and PostgreSQL +
 * pgvector (infra/kafka/kafka.sh, infra/postgres/postgres.sh), and teardown stops only what
 * this setup started.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const infra = fileURLToPath(new URL('../../infra/', import.meta.url));

async function script(path: string, command: 'start' | 'stop' | 'status'): Promise<string | undefined> {
  try {
    const { stdout } = await run(`${infra}${path}`, [command], { timeout: 15 * 60_000, maxBuffer: 16 << 20 });
    return stdout.trim();
  } catch (error) {
    if (command === 'status') return undefined;
    const e = error as { stderr?: string; message: string };
    throw new Error(`${path} ${command} failed: ${e.stderr?.slice(-4000) ?? e.message}`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: string[] = [];
  const ensure = async (envName: 'KAFKA_BROKERS' | 'DATABASE_URL', path: string): Promise<string> => {
    const fromEnv = process.env[envName];
    if (fromEnv) return fromEnv;
    const already = await script(path, 'status');
    if (already) return already;
    const value = await script(path, 'start');
    if (!value) throw new Error(`${path} start printed no address`);
    started.push(path);
    return value.split('\n').at(-1)!;
  };
  const [brokers, databaseUrl] = await Promise.all([
    ensure('KAFKA_BROKERS', 'kafka/kafka.sh'),
    ensure('DATABASE_URL', 'postgres/postgres.sh'),
  ]);
  process.env.KAFKA_BROKERS = brokers;
  process.env.DATABASE_URL = databaseUrl;
  project.provide('kafkaBrokers', brokers);
  project.provide('databaseUrl', databaseUrl);
  return async () => {
    for (const path of started.reverse()) await script(path, 'stop');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    databaseUrl: string;
  }
}
