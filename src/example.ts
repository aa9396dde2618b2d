/**
 * What `npm start` runs until the HTTP server lands: a scheduler with an interval job and a cron job,
 * logging their runs as JSON lines. Ctrl-C (SIGINT) or SIGTERM shuts it down gracefully.
 */
import { SchedulerService } from './index.js';

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
