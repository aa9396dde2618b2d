/**
 * The Fastify lifespan plugin: decorates `app.scheduler`, starts the scheduler when the app is ready and
 * shuts it down gracefully (running jobs finish, bounded by `shutdownTimeoutSeconds`) when the app closes.
 * Register it in any Fastify app:
 *
 *   await app.register(schedulerPlugin, { scheduler });
 */
import fp from 'fastify-plugin';
import type { SchedulerService } from '../scheduler/service.js';

export interface SchedulerPluginOptions {
  scheduler: SchedulerService;
  /** Bound on waiting for running jobs at close, in seconds (default 30), then their signals are aborted. */
  shutdownTimeoutSeconds?: number;
  /** Runs before the scheduler starts (register tasks, reconcile configured jobs). */
  beforeStart?: () => Promise<void>;
  /** Runs before the scheduler shuts down, while its store is still open (stop what writes to it). */
  beforeShutdown?: () => Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    scheduler: SchedulerService;
  }
}

export const schedulerPlugin = fp<SchedulerPluginOptions>(
  async (app, options) => {
    const { scheduler } = options;
    app.decorate('scheduler', scheduler);
    app.addHook('onReady', async () => {
      await options.beforeStart?.();
      await scheduler.start();
    });
    // onClose runs after the server stopped accepting requests: no new work arrives while jobs finish.
    app.addHook('onClose', async () => {
      await options.beforeShutdown?.();
      if (scheduler.isRunning) await scheduler.shutdown({ wait: true, timeoutSeconds: options.shutdownTimeoutSeconds ?? 30 });
    });
  },
  { name: 'tickwork-scheduler', fastify: '5.x' },
);
