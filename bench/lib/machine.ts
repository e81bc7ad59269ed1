/**
 * What the benchmark ran on: CPUs, memory, Node, the broker's and PostgreSQL's versions and
 * settings, and whether the machine was busy with other work before a scenario started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import pg from 'pg';
import { readMachineCpu } from './proc.ts';
import type { MachineInfo } from './types.ts';

/** Kafka version from the running broker's classpath (kafka-lib-<version> or kafka_2.13-<version>.jar). */
function kafkaVersion(): string | undefined {
  try {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmd.includes('kafka.Kafka')) continue;
      const m = /kafka-lib-([\d.]+)|kafka_2\.\d+-([\d.]+)\.jar/.exec(cmd);
      return m ? `Apache Kafka ${m[1] ?? m[2]} (KRaft, single node)` : 'Apache Kafka (version unknown)';
    }
  } catch {
    // not Linux or no /proc: leave it out
  }
  return undefined;
}

async function postgresInfo(url: string): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const { rows: [v] } = await c.query<{ version: string }>('SELECT version()');
    const { rows: [ext] } = await c.query<{ v: string | null }>("SELECT default_version AS v FROM pg_available_extensions WHERE name = 'vector'");
    const settings: string[] = [];
    for (const name of ['shared_buffers', 'fsync', 'synchronous_commit', 'max_connections']) {
      const { rows: [r] } = await c.query<Record<string, string>>(`SHOW ${name}`);
      settings.push(`${name}=${Object.values(r ?? {})[0]}`);
    }
    return `${v?.version.split(' on ')[0] ?? 'PostgreSQL'}, pgvector ${ext?.v ?? '?'} (${settings.join(', ')})`;
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function describeMachine(databaseUrl?: string, withKafka = true): Promise<MachineInfo> {
  const list = cpus();
  const kafka = withKafka ? kafkaVersion() : undefined;
  const postgres = databaseUrl ? await postgresInfo(databaseUrl) : undefined;
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    ...(kafka ? { kafka } : {}),
    ...(postgres ? { postgres } : {}),
    note: 'the broker, PostgreSQL, the stage processes and the benchmark itself all share these CPUs',
  };
}

/** Share of all CPUs busy over `ms` (whole machine), 0..1. */
export async function machineBusy(ms = 2_000): Promise<number> {
  const a = readMachineCpu();
  await new Promise((r) => setTimeout(r, ms));
  const b = readMachineCpu();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/**
 * Waits (up to `maxWaitS`) until the machine is at most `threshold` busy, so a scenario does
 * not start while other work (another test run) is using the CPUs. Returns a note for the
 * scenario's report: how busy it was when the scenario started.
 */
export async function waitForQuiet(maxWaitS: number, threshold = 0.25, log?: (m: string) => void): Promise<string> {
  const started = Date.now();
  let busy = await machineBusy();
  while (busy > threshold && (Date.now() - started) / 1000 < maxWaitS) {
    log?.(`machine ${(busy * 100).toFixed(0)} % busy with other work (load ${loadavg()[0]!.toFixed(1)}); waiting for it to settle`);
    await new Promise((r) => setTimeout(r, 3_000));
    busy = await machineBusy();
  }
  const waited = Math.round((Date.now() - started) / 1000);
  return `machine ${(busy * 100).toFixed(0)} % busy just before the start (load average ${loadavg()[0]!.toFixed(1)}${waited > 3 ? `, after waiting ${waited} s` : ''})`;
}
