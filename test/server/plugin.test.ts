/** The lifespan plugin in any Fastify app: start on ready, graceful shutdown on close. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { schedulerPlugin } from '../../src/index.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { captureLogger, harness, sleepOn } from '../helpers.js';

describe('schedulerPlugin', () => {
  it('starts the scheduler on ready and waits for running jobs on close', async () => {
    const h = harness();
    const app = Fastify();
    await app.register(schedulerPlugin, { scheduler: h.scheduler, shutdownTimeoutSeconds: 60 });
    expect(app.scheduler).toBe(h.scheduler);
    let finished = false;
    await h.scheduler.addIntervalJob(
      async () => {
        await sleepOn(h.clock, 5_000);
        finished = true;
      },
      1,
      'slow',
    );
    await app.ready();
    expect(h.scheduler.isRunning).toBe(true);
    await h.clock.advance(1_000);
    let closed = false;
    const closing = app.close().then(() => void (closed = true));
    await h.clock.advance(4_000);
    expect(closed).toBe(false);
    await h.clock.advance(1_000);
    await closing;
    expect(finished).toBe(true);
    expect(h.events.map(([n]) => n).slice(-2)).toEqual(['job_executed', 'scheduler_stopped']);
  });

  it('runs beforeStart before starting', async () => {
    const scheduler = new SchedulerService({ logger: captureLogger() });
    const order: string[] = [];
    scheduler.on('scheduler_started', () => void order.push('started'));
    const app = Fastify();
    await app.register(schedulerPlugin, { scheduler, beforeStart: async () => void order.push('before') });
    await app.ready();
    await app.close();
    expect(order).toEqual(['before', 'started']);
    expect(scheduler.isRunning).toBe(false);
  });
});
