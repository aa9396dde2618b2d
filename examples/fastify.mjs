// @ts-check
/**
 * Tickwork in a Fastify app: the lifespan plugin starts the scheduler when the app is ready and shuts it
 * down gracefully when the app closes (running jobs finish, at most 30 s). SIGTERM or Ctrl-C closes the app.
 *
 *   npm run build && node examples/fastify.mjs      (PORT, default 3000)
 *   curl http://127.0.0.1:3000/jobs
 */
import Fastify from 'fastify';
import { SchedulerService, schedulerPlugin } from 'tickwork';

const scheduler = new SchedulerService();
await scheduler.addIntervalJob((ctx) => ctx.logger.info({ event: 'example_tick' }, 'tick'), 1, 'tick');

const app = Fastify();
await app.register(schedulerPlugin, { scheduler, shutdownTimeoutSeconds: 30 });
app.get('/jobs', async () => (await scheduler.getJobs()).items.map((job) => ({ id: job.id, nextRunTime: job.nextRunTime })));

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
console.log(JSON.stringify({ event: 'example_listening', url }));
