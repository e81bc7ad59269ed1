/**
 * The HTTP API of `era-ingest serve` on node:http (no framework: a dozen routes do not need one,
 * and the pipeline's own limits — streamed body limit, JSON depth, constant-time token check —
 * are easier to guarantee without one).
 *
 * Built from injected dependencies (./context.ts), so tests run it in-process on port 0 with a
 * real producer and database. The server never closes its dependencies: whoever built them
 * does, after close() (see ./run-api-service.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerCheck, unauthorized, type BearerCheck } from './auth.ts';
import { createApiMetrics, methodLabel } from './api-metrics.ts';
import { ClientGoneError } from './body.ts';
import { resolveApiOptions, type ApiDependencies, type ApiOptions, type RequestContext } from './context.ts';
import { HttpError, sendError, toHttpError } from './http-error.ts';
import { handlerFor, matchRoute, PUBLIC_PATHS, ROUTES } from './routes.ts';
import { cookieAuthorization } from './console/routes.ts';

/** Every route, for the 404 answer: `POST /documents, GET /documents/:id, …`. */
const ROUTE_LIST = ROUTES.flatMap((r) => Object.keys(r.methods).map((m) => `${m} ${r.template}`)).join(', ');

/** A browser navigating (not a script or an API client): it is sent to the login form instead of a 401. */
const wantsHtml = (req: IncomingMessage): boolean => req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

export interface ApiServer {
  readonly server: Server;
  /**
   * Starts listening; resolves with the bound port (useful with port 0).
   * @throws the listen error (EADDRINUSE, EACCES).
   */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Stops accepting connections, lets in-flight requests finish (up to shutdownTimeoutMs, then
   * cuts the remaining connections) and resolves. New requests on open connections meanwhile
   * get 503 SHUTTING_DOWN; /readyz answers 503. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates (does not start) the API server.
 * @throws RangeError naming an invalid option.
 */
export function createApiServer(deps: ApiDependencies, apiOptions: ApiOptions): ApiServer {
  const options = resolveApiOptions(apiOptions);
  const metrics = createApiMetrics(deps.registry);
  const check: BearerCheck | undefined = options.token !== undefined ? bearerCheck(options.token) : undefined;
  const inFlight = { submissions: 0, searches: 0 };
  let closing = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    let template = 'unmatched';
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const isPublic = PUBLIC_PATHS.has(path);
      if (closing && !isPublic) throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down; retry on another instance', { connection: 'close', 'retry-after': '1' });
      const match = matchRoute(path);
      if (!(match?.route.public ?? isPublic) && check) {
        // A browser carries the token as the console's cookie (../console/routes.ts).
        const authorization = req.headers.authorization ?? cookieAuthorization(req.headers.cookie);
        if (!check(authorization)) {
          if (wantsHtml(req)) throw new HttpError(303, 'UNAUTHORIZED', 'log in with the API token', { location: '/login' });
          throw unauthorized(authorization);
        }
      }
      if (!match) throw new HttpError(404, 'NOT_FOUND', `no route ${JSON.stringify(path.slice(0, 100))}; routes: ${ROUTE_LIST}`);
      template = match.route.template;
      const handler = handlerFor(match.route, req.method);
      const ctx: RequestContext = {
        req, res, params: match.params, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
        deps, options, metrics, closing: () => closing, inFlight,
      };
      await handler(ctx);
    } catch (error) {
      if (error instanceof ClientGoneError) {
        res.destroy();
        return;
      }
      const answer = toHttpError(error);
      if (!(error instanceof HttpError)) {
        deps.logger?.[answer.status >= 500 && answer.code === 'INTERNAL' ? 'error' : 'warn']({ route: template, method: methodLabel(req.method), code: answer.code, err: (error as Error)?.message }, 'request failed');
      }
      if (res.headersSent) res.destroy();
      else sendError(req, res, answer);
    } finally {
      const status = res.headersSent ? String(res.statusCode) : '499';
      metrics.requests.inc({ route: template, method: methodLabel(req.method), status });
      metrics.requestSeconds.observe({ route: template }, (performance.now() - started) / 1000);
      deps.logger?.debug({ route: template, method: methodLabel(req.method), status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };

  const server = createServer((req, res) => {
    // Once closing, each connection that becomes idle is closed at once (not after keep-alive).
    res.once('finish', () => {
      if (closing) server.closeIdleConnections();
    });
    void handle(req, res);
  });
  server.requestTimeout = options.requestTimeoutMs;
  server.headersTimeout = Math.min(60_000, options.requestTimeoutMs);
  // A client error (malformed HTTP, header overflow) gets 400/431 and a closed socket, never a crash.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  let closed: Promise<void> | undefined;
  return {
    server,
    listen: (port, host = '127.0.0.1') => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    }),
    close: () => (closed ??= (async () => {
      closing = true;
      if (!server.listening) return;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs);
      force.unref();
      await stopped;
      clearTimeout(force);
    })()),
  };
}
