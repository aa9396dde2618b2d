/**
 * Tickwork as a library, without the server: a scheduler with an interval job and a cron job (seconds
 * field, every 15 s) that log through `ctx.logger`, every lifecycle step written as a JSON line, and a
 * graceful shutdown on Ctrl-C (SIGINT) or SIGTERM: running jobs finish (at most 30 s), a second signal
 * exits at once.
 *
 * It is type-checked with the project (`npm run typecheck`) but not built into `dist/`. In your own
 * project, import from 'tickwork' instead of '../src/index.js'.
 */
import { SchedulerService } from '../src/index.js';

const scheduler = new SchedulerService();

await scheduler.addIntervalJob((ctx) => {
  ctx.logger.info({ lateMs: Date.now() - ctx.scheduledAt.getTime() }, 'heartbeat');
}, 5, 'heartbeat');

await scheduler.addCronJob(async (ctx) => {
  ctx.logger.info('report starting');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  ctx.logger.info('report done');
}, '*/15 * * * * *', 'report', { name: 'Quarter-minute report' });

await scheduler.start();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: exit at once
    stopping = true;
    scheduler.shutdown({ wait: true, timeoutSeconds: 30 }).then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}
