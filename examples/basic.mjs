// @ts-check
/**
 * Tickwork as a library, without the server: a scheduler with an interval job and a cron job (seconds
 * field, every 15 s) that log through `ctx.logger`, every lifecycle step written as a JSON line, and a
 * graceful shutdown on Ctrl-C (SIGINT) or SIGTERM: running jobs finish (at most 30 s), a second signal
 * exits at once.
 *
 * Run it with `node examples/basic.mjs` after `npm run build`: `tickwork` resolves to this package's own
 * build, as it would in a project that depends on it. It is type-checked (`// @ts-check`, against
 * `src/`) and linted with the project, and not part of the build.
 */
import { SchedulerService } from 'tickwork';

const scheduler = new SchedulerService();

await scheduler.addIntervalJob(
  (ctx) => {
    ctx.logger.info({ lateMs: Date.now() - ctx.scheduledAt.getTime() }, 'heartbeat');
  },
  5,
  'heartbeat',
);

await scheduler.addCronJob(
  async (ctx) => {
    ctx.logger.info('report starting');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    ctx.logger.info('report done');
  },
  '*/15 * * * * *',
  'report',
  { name: 'Quarter-minute report' },
);

await scheduler.start();

let stopping = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: exit at once
    stopping = true;
    scheduler.shutdown({ wait: true, timeoutSeconds: 30 }).then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
