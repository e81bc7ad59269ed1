/**
 * Private Kafka brokers and PostgreSQL servers for fault-injection tests: a scenario that stops
 * the broker or the database must never touch the shared services other tests use. Each
 * instance is started by the project's own scripts (infra/kafka/kafka.sh,
 * infra/postgres/postgres.sh) on free ports, with its state in a temporary directory that
 * `destroy()` removes.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const infra = fileURLToPath(new URL('../../infra/', import.meta.url));

export interface FaultService {
  /** `host:port` (Kafka) or a postgres:// URL of the server's `postgres` database. */
  readonly address: string;
  readonly port: number;
  /** Starts the service again (same data); resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops the service (clean shutdown: SIGTERM / `pg_ctl -m fast`). */
  stop(): Promise<void>;
  /** Stops, waits `downMs`, starts again; resolves with the time it was unreachable, ms. */
  outage(downMs: number): Promise<number>;
  /** Stops the service and removes its data directory. Idempotent. */
  destroy(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port at or above `from` whose next `span - 1` ports are free too (Kafka: the KRaft
 * controller at port + 1, SASL at + 2, TLS at + 3), randomly placed so that parallel or leftover
 * instances do not collide.
 */
export async function freePort(from: number, span = 1): Promise<number> {
  for (let port = from + Math.floor(Math.random() * 500) * span; port + span <= 65_000; port += span) {
    let free = true;
    for (let p = port; free && p < port + span; p++) free = await portFree(p);
    if (free) return port;
  }
  throw new Error(`no ${span} consecutive free ports at or above ${from}`);
}

async function script(path: string, command: 'start' | 'stop', env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run(`${infra}${path}`, [command], { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 << 20 });
    return stdout.trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${path} ${command} failed: ${e.stderr?.slice(-3000) ?? e.message}`);
  }
}

function service(path: string, port: number, env: Record<string, string>, dir: string, address: string): FaultService {
  let destroyed = false;
  const start = async (): Promise<void> => void (await script(path, 'start', env));
  const stop = async (): Promise<void> => void (await script(path, 'stop', env));
  return {
    address,
    port,
    start,
    stop,
    outage: async (downMs) => {
      const t0 = Date.now();
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
      return Date.now() - t0;
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stateDir(kind: string): string {
  const dir = mkdtempSync(join(tmpdir(), `era-fault-${kind}-`));
  // Under root PostgreSQL runs as the unprivileged user era-pg, which must traverse this path.
  chmodSync(dir, 0o755);
  return dir;
}

export interface FaultKafkaOptions {
  /**
   * SCRAM users (name → password): the broker gets an extra SASL_PLAINTEXT listener with
   * SCRAM-SHA-256 and SCRAM-SHA-512 (KAFKA_SCRAM_USERS of kafka.sh). `address` stays PLAINTEXT.
   */
  scramUsers?: Record<string, string>;
  /** An extra SSL listener with a certificate signed by a local CA (KAFKA_TLS of kafka.sh). */
  tls?: boolean;
}

export interface FaultKafka extends FaultService {
  /** `host:port` of the SASL_PLAINTEXT (SCRAM) listener; only with `scramUsers`. */
  readonly saslAddress?: string;
  /** `host:port` of the SSL listener and the PEM file of the CA that signed it; only with `tls`. */
  readonly sslAddress?: string;
  readonly caFile?: string;
}

/** A private single-node Kafka broker (KRaft) on a free port, started and ready. */
export async function startFaultKafka({ scramUsers, tls }: FaultKafkaOptions = {}): Promise<FaultKafka> {
  // The controller takes port + 1, the SCRAM listener port + 2, the SSL listener port + 3 (kafka.sh's defaults).
  const port = await freePort(39_000, tls ? 4 : scramUsers ? 3 : 2);
  const dir = stateDir('kafka');
  const env: Record<string, string> = { KAFKA_PORT: String(port), ERA_STATE_DIR: dir };
  if (scramUsers) {
    env.KAFKA_SCRAM_USERS = Object.entries(scramUsers).map(([name, password]) => `${name}:${password}`).join(',');
    env.KAFKA_SASL_PORT = String(port + 2);
  }
  if (tls) {
    env.KAFKA_TLS = '1';
    env.KAFKA_SSL_PORT = String(port + 3);
  }
  const s = service('kafka/kafka.sh', port, env, dir, `127.0.0.1:${port}`);
  try {
    await s.start();
  } catch (error) {
    await s.destroy();
    throw error;
  }
  return {
    ...s,
    ...(scramUsers ? { saslAddress: `127.0.0.1:${port + 2}` } : {}),
    ...(tls ? { sslAddress: `127.0.0.1:${port + 3}`, caFile: join(dir, `kafka-${port}`, 'tls', 'ca.pem') } : {}),
  };
}

/** A private PostgreSQL + pgvector server on a free port, started and ready. */
export async function startFaultPostgres(): Promise<FaultService> {
  const port = await freePort(35_000, 2);
  const dir = stateDir('pg');
  const env = { PGPORT: String(port), ERA_STATE_DIR: dir };
  const s = service('postgres/postgres.sh', port, env, dir, `postgres://postgres@127.0.0.1:${port}/postgres`);
  try {
    await s.start();
  } catch (error) {
    await s.destroy();
    throw error;
  }
  return s;
}
