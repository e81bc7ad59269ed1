import pg from 'pg';
import { uniqueName } from './names.ts';
import { databaseUrl } from './services.ts';

/**
 * A fresh database on the test server (dropped by `drop`), for tests that run stage processes.
 * `serverUrl` selects another server (a fault-injection instance); default: the shared one.
 */
export async function createTestDatabase(serverUrl: string = databaseUrl()): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = uniqueName('e2e').replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
