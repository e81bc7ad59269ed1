import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ServiceServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Liveness: false when the process should be restarted (halted, crashed pipeline). */
  live: () => boolean;
  /** Readiness: true once connected and consuming. */
  ready: () => boolean;
}

export interface ServiceServer {
  readonly port: number;
  close(): Promise<void>;
}

/** `/metrics` (Prometheus text), `/healthz` (liveness) and `/readyz` (readiness). */
export async function startServiceServer({ port, host = '0.0.0.0', registry, live, ready }: ServiceServerOptions): Promise<ServiceServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    } else if (path === '/healthz') {
      const ok = live();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy' }));
    } else if (path === '/readyz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'not ready' }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () => (closed ??= new Promise((resolve) => server.close(() => resolve()))),
  };
}
