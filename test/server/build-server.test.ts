/** buildServer's defaults: only a scheduler is required; the built-in tasks are registered unless yours hold the name. */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { REFERENCE } from '../helpers.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const scheduler = (): SchedulerService => new SchedulerService({ clock: new ManualClock(REFERENCE), logger: pino({ level: 'silent' }), timezone: 'UTC' });

describe('buildServer', () => {
  it('needs only a scheduler: no keys (loopback clients), a default logger, the built-in log and http tasks', async () => {
    const s = scheduler();
    app = await buildServer({ scheduler: s });
    await app.ready();
    expect(s.taskNames).toEqual(['http', 'log']);
    expect((await app.inject('/api/v1/whoami')).json()).toEqual({ role: 'admin', via: 'loopback' });
  });

  it('keeps a task of your own under a built-in name; builtInTasks: false registers none; shellAllow adds shell', async () => {
    const own = scheduler();
    const mine = (): string => 'mine';
    own.registerTask('http', mine);
    app = await buildServer({ scheduler: own, logger: pino({ level: 'silent' }) });
    expect(own.taskArgsSchema('http')).toBeUndefined();
    await app.close();
    const none = scheduler();
    app = await buildServer({ scheduler: none, builtInTasks: false, logger: pino({ level: 'silent' }) });
    expect(none.taskNames).toEqual([]);
    await app.close();
    const shell = scheduler();
    app = await buildServer({ scheduler: shell, shellAllow: ['/bin/echo'], logger: pino({ level: 'silent' }) });
    expect(shell.taskNames).toEqual(['http', 'log', 'shell']);
  });

  it('refuses options without a scheduler, naming options.scheduler', async () => {
    await expect(buildServer({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'options.scheduler' }] });
  });
});
