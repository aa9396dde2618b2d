/**
 * `tickwork serve` (what `npm start` runs): starts the HTTP server and the scheduler; SIGINT or SIGTERM
 * closes it gracefully (running jobs finish, bounded), a second signal exits at once. In production run
 * `node dist/cli.js serve` directly: npm does not wait for its child on SIGTERM.
 */
import { pino } from 'pino';
import { buildServer } from '../server/app.js';
import { isLoopbackBind, loadConfig, type ServerConfig } from '../config.js';
import { SchedulerService } from '../scheduler/service.js';
import { createStore, redactStoreSpec } from '../stores/create.js';
import { registerBuiltInTasks } from '../tasks/index.js';
import { reconcileCalendars, reconcileJobs } from '../server/reconcile.js';
import { TickworkError } from '../core/errors.js';

async function serve(config: ServerConfig): Promise<void> {
  // Log lines are written synchronously, in the order they were logged. pino's default asynchronous
  // writer, on process.exit, writes what it buffered beside a write still in flight: scheduler_stopped
  // could land before the job_executed of the run the shutdown had waited for (and flush() does not wait).
  const logger = pino({ level: config.logLevel, base: { name: 'tickwork' } }, pino.destination({ dest: 1, sync: true }));
  if (!isLoopbackBind(config.host) && config.adminKeys.length + config.monitorKeys.length === 0) {
    logger.error({ event: 'refused_bind', host: config.host }, 'refusing to listen on a non-loopback address without API keys');
    throw new TickworkError(
      'FORBIDDEN',
      `Refusing to listen on ${config.host} without API keys: set TICKWORK_ADMIN_KEY (and optionally TICKWORK_MONITOR_KEY), or bind 127.0.0.1.`,
    );
  }
  const store = createStore(config.store, logger, process.cwd());
  const module = config.module;
  const scheduler = new SchedulerService({
    store,
    logger,
    ...(module.timezone === undefined ? {} : { timezone: module.timezone }),
    ...(module.jobDefaults === undefined ? {} : { jobDefaults: module.jobDefaults }),
    ...(module.maxConcurrentRuns === undefined ? {} : { maxConcurrentRuns: module.maxConcurrentRuns }),
    ...(module.tracing === undefined ? {} : { tracing: module.tracing }),
  });
  registerBuiltInTasks(scheduler, module.shell?.allow ?? []);
  for (const [name, func] of Object.entries(module.tasks ?? {})) scheduler.registerTask(name, func);

  const app = await buildServer({
    scheduler,
    logger,
    adminKeys: config.adminKeys,
    monitorKeys: config.monitorKeys,
    shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
    ...(module.events === undefined ? {} : { events: module.events }),
    ...(module.ready === undefined ? {} : { ready: module.ready }),
    ...(module.metrics === undefined ? {} : { metrics: module.metrics }),
    notifications: { ...module.notificationOptions, store, ...(module.notifications === undefined ? {} : { targets: module.notifications }) },
    beforeStart: async () => {
      await reconcileCalendars(scheduler, module.calendars ?? {}, logger);
      await reconcileJobs(scheduler, module.jobs ?? [], logger, { prune: module.prune === true });
    },
  });

  let closing = false;
  const close = (signal: string): void => {
    if (closing) {
      logger.warn({ event: 'forced_exit', signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    closing = true;
    logger.info({ event: 'shutdown_requested', signal }, 'closing: no new requests; running jobs finish first');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ event: 'shutdown_failed', err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => close('SIGINT'));
  process.on('SIGTERM', () => close('SIGTERM'));

  const address = await app.listen({ host: config.host, port: config.port });
  logger.info(
    { event: 'server_listening', url: address, store: redactStoreSpec(config.store), config: config.configPath },
    `Tickwork listening on ${address} (API under /api/v1, docs at /docs)`,
  );
}

/**
 * The start-up failure as the operator reads it: the server does not retry, it exits. A store error's
 * "retrying with backoff" holds for a running scheduler, not here.
 */
function startupMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if ((error as { code?: unknown }).code !== 'STORE_UNAVAILABLE') return message;
  return `${message.replace(/;? ?retrying with backoff\.?$/, '.')} The server did not start and exits with code 1; check TICKWORK_STORE and that the database is reachable (a supervisor such as systemd starts it again).`;
}

/**
 * Starts the server with the flags after `serve`; a start-up failure is one JSON log line
 * (`startup_failed`, with the error's code) and exit code 1.
 */
export function serveCommand(args: readonly string[]): void {
  loadConfig(process.env, args, process.cwd())
    .then(serve)
    .catch((error: unknown) => {
      const message = startupMessage(error);
      console.error(JSON.stringify({ level: 60, event: 'startup_failed', code: (error as { code?: unknown }).code, msg: message }));
      process.exit(1);
    });
}
