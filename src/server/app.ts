/**
 * buildServer: the standalone Tickwork server as a Fastify app — the scheduler lifespan plugin, API-key
 * auth, the HTTP API under /api/v1, Server-Sent Events, Prometheus metrics, OpenAPI at /docs and the
 * web dashboard at /.
 * Every error leaves as `{ "error": { "code", "message", "details"? } }` with the status its code maps to
 * (`ERROR_STATUS` in core/errors.ts), so clients can branch on the stable code.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { HttpError, InvalidArgumentError, TickworkError, type ErrorDetail } from '../core/errors.js';
import { toErrorLog } from '../scheduler/error-log.js';
import type { SchedulerService } from '../scheduler/service.js';
import { Authenticator, type AuthOptions } from './auth.js';
import { checkContentType } from './content-type.js';
import { EventStream, type EventStreamOptions } from './event-stream.js';
import { callerOf } from './request.js';
import { dashboardRoutes } from './dashboard.js';
import { createMetrics, type MetricsOptions } from './metrics.js';
import { schedulerPlugin } from './plugin.js';
import { jobRoutes } from './routes/jobs.js';
import { metaRoutes } from './routes/meta.js';

export type { MetricsOptions } from './metrics.js';

/** Request bodies above 1 MiB are refused with 413. */
export const BODY_LIMIT = 1024 * 1024;
/** Time a client has to send a whole request, and its headers. */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this long. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Open connections at most; more are refused. */
export const MAX_CONNECTIONS = 1024;

export interface ServerOptions extends Pick<AuthOptions, 'adminKeys' | 'monitorKeys'> {
  scheduler: SchedulerService;
  logger: PinoLogger;
  shutdownTimeoutSeconds?: number;
  /** Limits of GET /api/v1/events: `maxStreams` (100), `maxStreamsPerCaller` (10), `maxBufferedBytes` (1 MiB). */
  events?: EventStreamOptions;
  /** The failed-key limiter: `maxFailures` per client and `windowMs` (20 per 60 000 ms), `maxTrackedClients` (10 000). */
  authLimits?: Pick<AuthOptions, 'maxFailures' | 'windowMs' | 'maxTrackedClients'>;
  /** Per-job metrics: `jobLabels` ('none', 'all' or ids and globs; default 'none') and `maxJobSeries` (1000). */
  metrics?: MetricsOptions;
  /** Runs before the scheduler starts: register tasks, reconcile configured jobs. */
  beforeStart?: () => Promise<void>;
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

/** The access a route needs: its own `access`, or what its method implies. */
function accessOf(request: FastifyRequest): 'public' | 'read' | 'write' {
  const declared = request.routeOptions.config.access;
  if (declared !== undefined) return declared;
  return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify types its logger by the instance given; the app is used as a plain FastifyInstance.
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    // Requests are not logged one by one (a dashboard polls); mutations are audited below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Unknown fields are rejected, not stripped; types are never coerced ("2" is not 2).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    return503OnClosing: true,
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
  const auth = new Authenticator({ ...options.authLimits, adminKeys: options.adminKeys, monitorKeys: options.monitorKeys });
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
  await app.register(schedulerPlugin, {
    scheduler: options.scheduler,
    ...(options.shutdownTimeoutSeconds === undefined ? {} : { shutdownTimeoutSeconds: options.shutdownTimeoutSeconds }),
    ...(options.beforeStart === undefined ? {} : { beforeStart: options.beforeStart }),
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Tickwork API', version: '1', description: 'Jobs, runs and the scheduler of a Tickwork server.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const events = new EventStream(options.scheduler, options.events);
  const metrics = createMetrics(options.scheduler, options.metrics, options.logger);
  app.addHook('preClose', async () => {
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
  app.addHook('onRequest', async (request) => {
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

      await api.register(metaRoutes);
      await api.register(jobRoutes);
      // No HEAD twin: a HEAD would hold a stream slot open with nothing to read.
      api.get('/events', { exposeHeadRoute: false, schema: { tags: ['events'], summary: 'Server-Sent Events of scheduler events' } }, (request, reply) => {
        const lastId = request.headers['last-event-id'];
        // attach throws TOO_MANY_STREAMS (503) before it writes anything: the error handler answers it.
        events.attach(reply.raw, typeof lastId === 'string' ? lastId : undefined, callerOf(request).id);
        reply.hijack();
      });
      api.get('/metrics', { schema: { tags: ['meta'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
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

/** Maps Fastify's own errors (validation, body size, media type) to ours; anything unknown is a generic 500. */
function toTickworkError(error: FastifyError | TickworkError): TickworkError {
  if (error instanceof TickworkError) return error;
  const fe = error as FastifyError & {
    validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[];
    validationContext?: string;
  };
  if (fe.validation !== undefined) {
    const details: ErrorDetail[] = fe.validation.map((v) => {
      const extra = typeof v.params?.additionalProperty === 'string' ? `/${v.params.additionalProperty}` : '';
      const path = `${fe.validationContext ?? 'body'}${(v.instancePath + extra).replace(/\//g, '.')}`;
      const message = extra !== '' ? 'is not an allowed field' : (v.message ?? 'is invalid');
      return { path, message };
    });
    return new InvalidArgumentError(details.map((d) => `${d.path} ${d.message}`).join('; '), details);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError('PAYLOAD_TOO_LARGE', `The request body is larger than ${BODY_LIMIT} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError('UNSUPPORTED_MEDIA_TYPE', 'Send "Content-Type: application/json".');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return InvalidArgumentError.field('body', 'is missing or malformed.');
    default:
      if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        return InvalidArgumentError.field('request', fe.message);
      }
      return new HttpError('INTERNAL', 'Internal error; the server log has the details.');
  }
}
