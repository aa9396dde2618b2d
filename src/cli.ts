#!/usr/bin/env node
/**
 * The `tickwork` command. `tickwork serve` (what `npm start` runs) starts the HTTP server and the
 * scheduler; SIGINT or SIGTERM closes it gracefully (running jobs finish, bounded), a second signal exits
 * at once. In production run `node dist/cli.js serve` directly: npm does not wait for its child on SIGTERM.
 */
import { pino } from 'pino';
import { buildServer } from './server/app.js';
import { isLoopbackBind, loadConfig, type ServerConfig } from './config.js';
import { SchedulerService } from './scheduler/service.js';
import { createStore, redactStoreSpec } from './stores/create.js';
import { registerBuiltInTasks } from './tasks/index.js';
import { reconcileJobs } from './server/reconcile.js';
import { TickworkError } from './core/errors.js';

const USAGE = `Usage: tickwork serve [--config tickwork.config.mjs] [--host 127.0.0.1] [--port 8080]

Environment: HOST, PORT, TICKWORK_STORE (sqlite:./data/tickwork.db), TICKWORK_ADMIN_KEY, TICKWORK_MONITOR_KEY,
TICKWORK_CONFIG, TICKWORK_SHUTDOWN_TIMEOUT (30), LOG_LEVEL (info).`;

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
    ...(module.metrics === undefined ? {} : { metrics: module.metrics }),
    beforeStart: async () => reconcileJobs(scheduler, module.jobs ?? [], logger),
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

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command !== 'serve') {
    console.error(`Unknown command "${command}".\n\n${USAGE}`);
    process.exit(2);
  }
  await serve(await loadConfig(process.env, rest, process.cwd()));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(JSON.stringify({ level: 60, event: 'startup_failed', code: (error as { code?: unknown }).code, msg: message }));
  process.exit(1);
});
