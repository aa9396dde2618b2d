/**
 * buildServer: the standalone Tickwork server as a Fastify app — the scheduler lifespan plugin, API-key
 * auth, the HTTP API under /api/v1, Server-Sent Events, Prometheus metrics, OpenAPI at /docs and the
 * web dashboard at /.
 * Every error leaves as `{ "error": { "code", "message", "details"? } }` with the status its code maps to
 * (`ERROR_STATUS` in core/errors.ts), so clients can branch on the stable code.
 */
import type { ReadyOptions } from './routes/meta.js';
import fastifySwagger, { type SwaggerTransformObject } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { pino, type Logger as PinoLogger } from 'pino';
import { HttpError, InvalidArgumentError, type TickworkError } from '../core/errors.js';
import { BODY_LIMIT, toTickworkError } from './api-error.js';
import { toErrorLog } from '../scheduler/error-log.js';
import type { SchedulerService } from '../scheduler/service.js';
import { registerBuiltInTasks } from '../tasks/index.js';
import type { ShellAllowEntry } from '../tasks/shell.js';
import { Authenticator, type AuthOptions } from './auth.js';
import { checkContentType } from './content-type.js';
import { EventStream, type EventStreamOptions } from './event-stream.js';
import { callerOf } from './request.js';
import { dashboardRoutes } from './dashboard.js';
import { createMetrics, type MetricsOptions } from './metrics.js';
import { schedulerPlugin } from './plugin.js';
import { calendarRoutes } from './routes/calendars.js';
import { jobRoutes } from './routes/jobs.js';
import { jobBatchRoutes } from './routes/job-batch.js';
import { metaRoutes } from './routes/meta.js';
import { transferRoutes } from './routes/transfer.js';
import { auditRoutes } from './routes/audit.js';
import { backfillRoutes } from './routes/backfill.js';
import { notificationRoutes } from './routes/notifications.js';
import { Notifier, type NotifierOptions } from '../notifications/notifier.js';
import { documentErrors } from './openapi.js';
import { errorSchema } from './response-schemas.js';

export type { MetricsOptions } from './metrics.js';

export { BODY_LIMIT } from './api-error.js';
/** Time a client has to send a whole request, and its headers. */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this long. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Open connections at most; more are refused. */
export const MAX_CONNECTIONS = 1024;

/**
 * Options of {@link buildServer}. Only `scheduler` is required:
 *
 *   const app = await buildServer({ scheduler, adminKeys: [process.env.TICKWORK_ADMIN_KEY!] });
 *   await app.listen({ port: 8080 });
 */
export interface ServerOptions {
  /** The scheduler the server drives; it is started when the app is ready and shut down when it closes. */
  scheduler: SchedulerService;
  /** Keys with the admin role (everything) and the monitor role (read-only). Default none: loopback clients only. */
  adminKeys?: readonly string[];
  monitorKeys?: readonly string[];
  /** Request and audit log (a pino logger). Default: pino at level info, to stdout. */
  logger?: PinoLogger;
  /**
   * Registers the built-in `log` and `http` tasks (and `shell` with `shellAllow`) for a name the scheduler
   * has no task for yet; a task of your own under one of those names stays. Default true.
   */
  builtInTasks?: boolean;
  /** The `shell` task's allow-list (see ShellAllowEntry); without one there is no `shell` task. */
  shellAllow?: readonly ShellAllowEntry[];
  /** Bound on waiting for running jobs when the app closes, in seconds (default 30); then their signals are aborted. */
  shutdownTimeoutSeconds?: number;
  /** Limits of GET /api/v1/events: `maxStreams` (100), `maxStreamsPerCaller` (10), `maxBufferedBytes` (1 MiB). */
  events?: EventStreamOptions;
  /** The failed-key limiter: `maxFailures` per client and `windowMs` (20 per 60 000 ms), `maxTrackedClients` (10 000). */
  authLimits?: Pick<AuthOptions, 'maxFailures' | 'windowMs' | 'maxTrackedClients'>;
  /** Per-job metrics: `jobLabels` ('none', 'all' or ids and globs; default 'none') and `maxJobSeries` (1000). */
  metrics?: MetricsOptions;
  /** Runs before the scheduler starts: register tasks, reconcile configured jobs. */
  beforeStart?: () => Promise<void>;
  /**
   * GET /api/v1/ready: with `failOnOverdue` (default false) it also answers 503 while any job is overdue
   * (see JobInfo.health), so an external probe catches a process that serves requests but runs nothing.
   */
  ready?: ReadyOptions;
  /**
   * Notifications (see Notifier): `store` (the scheduler's store, where targets, reported states and
   * deliveries are kept), `targets` owned by the configuration, `publicUrl` (the dashboard's address in
   * each body; default the address the server listens on), `checkIntervalSeconds` (5), `retentionDays` (7).
   * The notifier starts before the scheduler and stops before it; without a target it costs nothing per fire.
   */
  notifications?: Omit<NotifierOptions, 'scheduler' | 'logger' | 'clock'>;
  /**
   * Whether the app starts the scheduler when ready and shuts it down when closed (default true). false when
   * something else owns the scheduler's life, as `tickworkRouter` in `tickwork/node` does (the host server's); the
   * notifier is then not started either: notification targets need the standalone server or a Notifier of your own.
   */
  lifespan?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call an /api/v1 route: `public` (no key: health), `read` (monitor keys too) or `write`
     * (admin keys only). Default: `read` for GET and HEAD, `write` for every other method.
     */
    access?: 'public' | 'read' | 'write';
  }
}

/** GET /events: a text/event-stream of `id:`, `event:` and `data:` lines (see event-stream.ts). */
const eventStreamResponse = {
  200: { description: 'Server-Sent Events; resume with Last-Event-ID.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
} as const;

/** GET /metrics: Prometheus text exposition format. */
const metricsResponse = {
  200: { description: 'Prometheus text format 0.0.4.', content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } } },
} as const;

/** The access a route needs: its own `access`, or what its method implies. */
function accessOf(request: FastifyRequest): 'public' | 'read' | 'write' {
  return routeAccess(request.routeOptions.config.access, request.method);
}

function routeAccess(declared: 'public' | 'read' | 'write' | undefined, method: string | readonly string[]): 'public' | 'read' | 'write' {
  if (declared !== undefined) return declared;
  const methods = typeof method === 'string' ? [method] : method;
  return methods.every((m) => m === 'GET' || m === 'HEAD') ? 'read' : 'write';
}

export async function buildServer(serverOptions: ServerOptions): Promise<FastifyInstance> {
  // Duck-typed: a second copy of the package in node_modules has its own SchedulerService class.
  if (
    typeof serverOptions !== 'object' ||
    serverOptions === null ||
    typeof (serverOptions.scheduler as { start?: unknown } | undefined)?.start !== 'function'
  ) {
    throw InvalidArgumentError.field('options.scheduler', 'buildServer needs { scheduler: new SchedulerService(...) }.');
  }
  const options = { ...serverOptions, logger: serverOptions.logger ?? pino({ level: 'info' }) };
  if (options.builtInTasks !== false) registerBuiltInTasks(options.scheduler, options.shellAllow ?? [], { keepRegistered: true });
  const app = Fastify({
    // Fastify types its logger by the instance given; the app is used as a plain FastifyInstance.
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    // Requests are not logged one by one (a dashboard polls); mutations are audited below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Unknown fields are rejected, not stripped; types are never coerced ("2" is not 2).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    // Fastify's own 503 while closing has a body of its own; the onRequest hook below answers SHUTTING_DOWN
    // with the Error body instead, as the OpenAPI document says.
    return503OnClosing: false,
    // A client gets 30 s to send its whole request (a trickled body must not hold a socket, or delay a
    // shutdown, forever); headers within 10 s. Responses (the event stream) are not bounded by these.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Node checks those timeouts every connectionsCheckingInterval (30 s by default): check every second.
    http: { connectionsCheckingInterval: 1000 },
    // An idle keep-alive connection is closed after 5 s (Fastify's default is 72 s), so idle sockets held by
    // a client that sends nothing more cannot pile up.
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // A request target that is not valid percent-encoding gets our error body, like every other 400.
    frameworkErrors: (error, _request, reply) => {
      const body = { error: InvalidArgumentError.field('request', `is not a valid request (${error.message}).`).toJSON() };
      // Typed for the route's own reply schema, which a framework error has none of.
      (reply as unknown as { code(status: number): { send(payload: unknown): void } }).code(400).send(body);
    },
  });
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;
  // Beyond this many open connections new ones are refused at once (event streams count: at most 100).
  app.server.maxConnections = MAX_CONNECTIONS;
  const auth = new Authenticator({ ...options.authLimits, adminKeys: options.adminKeys ?? [], monitorKeys: options.monitorKeys ?? [] });
  if (!auth.keysConfigured) {
    options.logger.warn({ event: 'auth_loopback_only' }, 'no API keys configured: serving loopback clients only (set TICKWORK_ADMIN_KEY to allow others)');
  }

  // JSON only (see content-type.ts for when a request may go without a type), and an empty JSON body is
  // allowed. Non-empty bodies go to Fastify's own parser, which refuses __proto__ and constructor.prototype keys.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    void parseJson(request, text, (error, value) => {
      if (error === null) return done(null, value);
      // Fastify's error does not say which: name both causes (a syntax error, or a poisoning key).
      let reason: string;
      try {
        JSON.parse(text);
        reason = 'holds a "__proto__" or "constructor.prototype" key, which is refused (prototype poisoning)';
      } catch (syntax) {
        reason = `is not valid JSON: ${(syntax as Error).message}`;
      }
      done(InvalidArgumentError.field('body', reason), undefined);
    });
  });

  app.decorateRequest('caller', null);
  const notifier = new Notifier({ ...options.notifications, scheduler: options.scheduler, logger: options.logger });
  if (options.notifications?.publicUrl === undefined) {
    // The job links point at the address the server listens on, once it is known.
    app.addHook('onListen', async () => {
      const address = app.server.address();
      if (address === null || typeof address === 'string') return;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      notifier.publicUrl = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
    });
  }
  if (options.lifespan === false) {
    // Something else owns the scheduler's life (and so the notifier's: see tickwork/node).
    app.decorate('scheduler', options.scheduler);
  } else {
    await app.register(schedulerPlugin, {
      scheduler: options.scheduler,
      ...(options.shutdownTimeoutSeconds === undefined ? {} : { shutdownTimeoutSeconds: options.shutdownTimeoutSeconds }),
      beforeStart: async () => {
        await options.beforeStart?.();
        await notifier.start();
      },
      beforeShutdown: () => notifier.stop(),
    });
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Tickwork API', version: '1', description: 'Jobs, runs and the scheduler of a Tickwork server.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: optionalBodies,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  // The one error body, referenced as `Error#` by every route's error answers (openapi.ts).
  app.addSchema(errorSchema);

  const events = new EventStream(options.scheduler, options.events);
  const metrics = createMetrics(options.scheduler, options.metrics, options.logger);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    // Open event streams would keep the server from closing.
    events.close();
    metrics.close();
  });

  // Handlers are set before the routes register: child contexts inherit them when created.
  app.setNotFoundHandler(async (request, reply) => {
    reply.code(404);
    return { error: new HttpError('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`).toJSON() };
  });

  // Only origin-form targets ("/path?query"): an absolute-form ("http://x/api") or asterisk-form target is
  // refused before routing, so no spelling of a path reaches a route by another way.
  app.addHook('onRequest', async (request, reply) => {
    // A request on a connection still open while the server closes (running jobs finish first).
    if (closing) {
      reply.header('connection', 'close');
      throw new HttpError(
        'SHUTTING_DOWN',
        'The server is shutting down (running jobs finish first) and takes no new requests; retry on another replica or once it is back.',
      );
    }
    if (!(request.raw.url ?? '').startsWith('/')) {
      throw InvalidArgumentError.field('request', 'the request target must be a path starting with "/" (origin-form).');
    }
  });

  app.setErrorHandler(async (error: FastifyError | TickworkError, request, reply) => {
    const mapped = toTickworkError(error);
    // The log gets the error's code, message and stack, never its other fields: a database error's
    // `detail`, `where` or parameters can quote the job's args.
    if (mapped.status >= 500) request.log.error({ event: 'api_error', error: toErrorLog(error), route: request.routeOptions.url }, 'request failed');
    if (mapped.code === 'RATE_LIMITED') reply.header('retry-after', '60');
    if (mapped.code === 'TOO_MANY_STREAMS') reply.header('retry-after', '5');
    reply.code(mapped.status);
    return { error: mapped.toJSON() };
  });

  // The API lives in one encapsulated plugin whose onRequest hook authenticates every route it holds:
  // the decision follows the route the router matched (whatever the path's spelling: percent-encoding,
  // case, dot segments), never the URL text. Roles are checked here, before the body is parsed or
  // validated, so a monitor key gets 403 for any mutation whatever its body; then the Content-Type rule.
  await app.register(
    async (api) => {
      documentErrors(api, (route) => routeAccess((route.config as { access?: 'public' | 'read' | 'write' } | undefined)?.access, route.method));
      api.addHook('onRequest', async (request) => {
        const access = accessOf(request);
        if (access === 'public') return;
        const caller = auth.authenticate(request);
        request.caller = caller;
        if (access === 'write' && caller.role !== 'admin') {
          throw new HttpError('FORBIDDEN', 'This key has the monitor role, which is read-only; use an admin key to change jobs or the scheduler.');
        }
        checkContentType(request, caller);
      });

      // Mutations are audited with the caller's role and key index, never the key, args or headers.
      api.addHook('onResponse', async (request, reply) => {
        if (accessOf(request) !== 'write' || request.caller === null) return;
        options.logger.info(
          {
            event: 'api_mutation',
            method: request.method,
            route: request.routeOptions.url,
            status: reply.statusCode,
            role: request.caller.role,
            via: request.caller.via,
            keyIndex: request.caller.keyIndex,
            jobId: (request.params as { id?: string } | undefined)?.id,
          },
          'api mutation',
        );
      });

      await api.register(metaRoutes, { failOnOverdue: options.ready?.failOnOverdue === true });
      await api.register(jobRoutes);
      await api.register(jobBatchRoutes);
      await api.register(transferRoutes);
      await api.register(auditRoutes);
      await api.register(backfillRoutes);
      await api.register(calendarRoutes);
      await api.register(notificationRoutes, { notifier });
      // No HEAD twin: a HEAD would hold a stream slot open with nothing to read.
      api.get(
        '/events',
        { exposeHeadRoute: false, schema: { tags: ['events'], summary: 'Server-Sent Events of scheduler events', response: eventStreamResponse } },
        (request, reply) => {
          const lastId = request.headers['last-event-id'];
          // attach throws TOO_MANY_STREAMS (503) before it writes anything: the error handler answers it.
          events.attach(reply.raw, typeof lastId === 'string' ? lastId : undefined, callerOf(request).id);
          reply.hijack();
        },
      );
      api.get('/metrics', { schema: { tags: ['meta'], summary: 'Prometheus metrics', response: metricsResponse } }, async (_request, reply) => {
        reply.header('content-type', metrics.registry.contentType);
        return metrics.registry.metrics();
      });
    },
    { prefix: '/api/v1' },
  );

  // The dashboard at / (static files, no key needed; its API calls carry the key).
  await app.register(dashboardRoutes);

  return app;
}

/**
 * The OpenAPI document with the bodies that may be left out marked so (the pause and resume routes take
 * an optional body, declared as an object or null): @fastify/swagger marks every declared body required.
 */
const optionalBodies: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  const doc = document.openapiObject;
  for (const methods of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(methods ?? {})) {
      const body = (
        operation as { requestBody?: { required?: boolean; content?: Record<string, { schema?: { type?: unknown; nullable?: unknown } }> } } | undefined
      )?.requestBody;
      const schema = body?.content?.['application/json']?.schema;
      if (body === undefined || schema === undefined) continue;
      if (schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes('null'))) body.required = false;
    }
  }
  return doc;
};
