/**
 * tickworkRouter: the standalone server's HTTP API, event stream, metrics, OpenAPI document and dashboard as
 * a request handler to mount in Express (`app.use('/scheduler', tickworkRouter({ scheduler }))`) or call
 * from any node:http server.
 *
 * It is not a second implementation: it builds the very Fastify app of `buildServer` (same routes, auth,
 * schemas and error bodies) without listening, and routes each request into it (`fastify.routing`, what
 * Fastify's own server calls). Express is never imported: the handler has the `(req, res, next)` shape
 * and uses only what Node's request carries, plus Express's `originalUrl` when present. The scheduler's
 * life is not the router's: use attachScheduler (or start and shut it down yourself).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { pino } from 'pino';
import { HttpError, InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { buildServer, type ServerOptions } from '../server/app.js';

export interface TickworkRouterOptions extends Pick<ServerOptions, 'scheduler' | 'events' | 'authLimits'> {
  /** Keys with every right; none and none below: loopback clients only, as the standalone server. */
  adminKeys?: string[];
  /** Read-only keys. */
  monitorKeys?: string[];
  /** A pino logger for the audit lines (`api_mutation`) and request errors. Default: pino at "info" on stdout. */
  logger?: PinoLogger;
}

/** An Express-compatible handler with the app's own life. */
export interface TickworkRouter {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Resolves once the app is built and ready (the first request waits for it anyway). */
  ready(): Promise<void>;
  /** Ends open event streams and closes the app; requests after it are answered 503. */
  close(): Promise<void>;
}

const KNOWN = ['scheduler', 'adminKeys', 'monitorKeys', 'logger', 'events', 'authLimits'];

export function tickworkRouter(options: TickworkRouterOptions): TickworkRouter {
  if (typeof options !== 'object' || options === null) {
    throw InvalidArgumentError.field('options', `must be an object with a scheduler, got ${describeType(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw InvalidArgumentError.field(`options.${key}`, `is not a tickworkRouter option; allowed: ${KNOWN.join(', ')}.`);
  }
  if (typeof options.scheduler !== 'object' || options.scheduler === null || typeof options.scheduler.getJobs !== 'function') {
    throw InvalidArgumentError.field('options.scheduler', `must be a SchedulerService, got ${describeType(options.scheduler)}.`);
  }
  const { adminKeys = [], monitorKeys = [], logger = pino({ base: { name: 'tickwork' } }), ...rest } = options;
  const building: Promise<FastifyInstance> = buildServer({ ...rest, adminKeys, monitorKeys, logger, lifespan: false }).then(async (app) => {
    await app.ready();
    return app;
  });
  // Reported to the caller of ready() or, per request, to Express's error handler.
  building.catch(() => undefined);
  let app: FastifyInstance | null = null;

  const route = (fastify: FastifyInstance, req: IncomingMessage, res: ServerResponse): void => {
    if (redirectedToSlash(req, res)) return;
    if (bodyAlreadyRead(req)) {
      const error = new HttpError('INTERNAL', 'The request body was read before tickworkRouter: mount the router before body parsers such as express.json().');
      res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: error.toJSON() }));
      return;
    }
    fastify.routing(req, res);
  };

  const handler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    // The common case, once built: no promise per request.
    if (app !== null) return route(app, req, res);
    building.then(
      (built) => {
        app = built;
        route(built, req, res);
      },
      (error: unknown) => {
        if (next !== undefined) return next(error);
        res.writeHead(500).end();
      },
    );
  };
  return Object.assign(handler, {
    ready: async (): Promise<void> => {
      await building;
    },
    close: async (): Promise<void> => {
      await (await building).close();
    },
  });
}

/**
 * The dashboard's files and API calls are relative to the page (`document.baseURI`), so its page must be
 * served at the mount path with a trailing slash: `/scheduler` is redirected to `/scheduler/`. Express
 * strips the mount path from `req.url` and keeps the full target in `originalUrl`.
 */
function redirectedToSlash(req: IncomingMessage, res: ServerResponse): boolean {
  const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (typeof original !== 'string' || (req.url !== '/' && !(req.url ?? '').startsWith('/?'))) return false;
  const query = original.indexOf('?');
  const path = query === -1 ? original : original.slice(0, query);
  if (path.endsWith('/')) return false;
  res.writeHead(308, { location: `${path}/${query === -1 ? '' : original.slice(query)}` }).end();
  return true;
}

/** A body parser mounted before the router consumed the stream: Fastify would wait for it forever. */
function bodyAlreadyRead(req: IncomingMessage): boolean {
  return (
    req.readableEnded && (req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined)
  );
}
