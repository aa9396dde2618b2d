/**
 * TickworkModule in real Nest 11 applications, over the Express and the Fastify adapter: decorated provider
 * methods are found at bootstrap and fire on the manual clock, SchedulerService is injectable into a
 * controller answering over HTTP, app.close() shuts the scheduler down after the HTTP server, and a
 * persistent store finds the `<Provider>.<method>` tasks again after a restart.
 */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { JobContext } from '../../src/core/job.js';
import { Cron, Interval, SchedulerService, Timeout, TickworkModule, type TickworkModuleOptions } from '../../src/nestjs/index.js';
import { tickworkRouter } from '../../src/node/index.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';

/** What the decorated methods did, in order; a fresh list per app. */
class Calls {
  readonly list: string[] = [];
}

@Injectable()
class Jobs {
  constructor(private readonly calls: Calls) {}

  @Interval(5000)
  heartbeat(ctx: JobContext): void {
    this.calls.list.push(`heartbeat@${ctx.scheduledAt.toISOString()}`);
  }

  @Cron('*/10 * * * * *', { name: 'tenSeconds', timeZone: 'Europe/Berlin', waitForCompletion: true, tickwork: { misfireGraceTime: 5 } })
  tenSeconds(): void {
    this.calls.list.push('tenSeconds');
  }

  @Timeout('warmUp', 3000)
  warmUp(): void {
    this.calls.list.push('warmUp');
  }

  @Cron('0 2 * * *', { disabled: true })
  nightly(): void {
    this.calls.list.push('nightly');
  }
}

@Controller('status')
class StatusController {
  constructor(private readonly scheduler: SchedulerService) {}

  @Get()
  async jobs(): Promise<{ running: boolean; ids: string[] }> {
    const list = await this.scheduler.getJobs({ sort: 'id' });
    return { running: this.scheduler.isRunning, ids: list.items.map((job) => job.id) };
  }
}

function appModule(options: TickworkModuleOptions, calls: Calls): new () => unknown {
  @Module({ imports: [TickworkModule.forRoot(options)], providers: [Jobs, { provide: Calls, useValue: calls }], controllers: [StatusController] })
  class AppModule {}
  return AppModule;
}

let app: INestApplication | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

const adapters = {
  express: () => new ExpressAdapter(),
  fastify: () => new FastifyAdapter(),
};

describe.each(Object.entries(adapters))('TickworkModule over the %s adapter', (_name, adapter) => {
  it('fires decorated methods on schedule, injects SchedulerService, and stops after the HTTP server', async () => {
    // One second past a whole minute: every schedule's first fire is in the future.
    const clock = new ManualClock(REFERENCE + 1000);
    const logger = captureLogger('info');
    const calls = new Calls();
    app = await NestFactory.create(appModule({ clock, logger, timezone: 'UTC' }, calls), adapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    const scheduler = app.get(SchedulerService);
    expect(scheduler.isRunning).toBe(true);

    const response = await fetch(`${await app.getUrl()}/status`);
    expect(await response.json()).toEqual({ running: true, ids: ['Jobs.heartbeat', 'Jobs.nightly', 'tenSeconds', 'warmUp'] });

    await clock.advance(10_000);
    expect(calls.list).toEqual(['warmUp', 'heartbeat@2026-01-01T00:00:06.000Z', 'tenSeconds', 'heartbeat@2026-01-01T00:00:11.000Z']);

    const ten = await scheduler.getJob('tenSeconds');
    expect(ten).toMatchObject({ task: 'Jobs.tenSeconds', maxInstances: 1, misfireGraceTime: 5, trigger: { type: 'cron', timezone: 'Europe/Berlin' } });
    expect(await scheduler.getJob('Jobs.nightly')).toMatchObject({ paused: true, nextRunTime: null });
    // A Timeout runs once and is gone.
    expect(await scheduler.getJob('warmUp')).toBeUndefined();

    await app.close();
    app = null;
    expect(scheduler.isRunning).toBe(false);
    expect(logger.lines.filter((line) => line.event === 'scheduler_stopped')).toHaveLength(1);
  });
});

describe('TickworkModule options and stores', () => {
  it('forRootAsync takes its options from a factory with injected providers', async () => {
    const clock = new ManualClock(REFERENCE);
    const calls = new Calls();
    const CONFIG = 'CONFIG';
    @Module({ providers: [{ provide: CONFIG, useValue: { zone: 'Asia/Tokyo' } }], exports: [CONFIG] })
    class ConfigModule {}
    @Module({
      imports: [
        TickworkModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { zone: string }) => ({ clock, logger: captureLogger('warn'), timezone: config.zone }),
        }),
      ],
      providers: [Jobs, { provide: Calls, useValue: calls }],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
    await app.init();
    const scheduler = app.get(SchedulerService);
    expect(scheduler.defaultTimezone).toBe('Asia/Tokyo');
    await clock.advance(5000);
    expect(calls.list).toContain('heartbeat@2026-01-01T00:00:05.000Z');
  });

  it("tickworkRouter mounts in Nest's Express adapter with the module's SchedulerService (ahead of Nest's body parser)", async () => {
    const clock = new ManualClock(REFERENCE + 1000);
    app = await NestFactory.create(appModule({ clock, logger: captureLogger('warn'), timezone: 'UTC' }, new Calls()), new ExpressAdapter(), { logger: false });
    const router = tickworkRouter({ scheduler: app.get(SchedulerService), logger: pino({ level: 'silent' }) });
    app.use('/scheduler', router);
    await app.listen(0, '127.0.0.1');
    const base = `${await app.getUrl()}/scheduler/api/v1`;
    const jobs = (await (await fetch(`${base}/jobs?sort=id`)).json()) as { items: { id: string }[] };
    expect(jobs.items.map((job) => job.id)).toEqual(['Jobs.heartbeat', 'Jobs.nightly', 'tenSeconds', 'warmUp']);
    const paused = await fetch(`${base}/jobs/tenSeconds`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paused: true }),
    });
    expect(paused.status).toBe(200);
    expect(await app.get(SchedulerService).getJob('tenSeconds')).toMatchObject({ paused: true });
    await router.close();
  });

  it('a persistent store finds the <Provider>.<method> tasks again after a restart, on the stored schedule', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tickwork-nest-')), 'jobs.db');
    // The first app runs heartbeat at 00:00:05 (next due 00:00:10); the second starts at 00:00:06.
    const rounds = [
      { start: REFERENCE, advance: 5000, fired: 'heartbeat@2026-01-01T00:00:05.000Z' },
      // On the stored phase: a job added afresh would first fire at 00:00:11.
      { start: REFERENCE + 6000, advance: 4000, fired: 'heartbeat@2026-01-01T00:00:10.000Z' },
    ];
    for (const [index, round] of rounds.entries()) {
      const clock = new ManualClock(round.start);
      const calls = new Calls();
      const store = new SqliteJobStore({ path: file });
      app = await NestFactory.create(appModule({ clock, logger: captureLogger('warn'), store, timezone: 'UTC' }, calls), new ExpressAdapter(), {
        logger: false,
      });
      await app.init();
      const scheduler = app.get(SchedulerService);
      expect((await scheduler.getJob('Jobs.heartbeat'))?.task).toBe('Jobs.heartbeat');
      expect((await scheduler.getJobs()).items.filter((job) => job.status !== 'ok')).toEqual([]);
      await clock.advance(round.advance);
      expect(calls.list.filter((call) => call.startsWith('heartbeat'))).toEqual([round.fired]);
      expect(await scheduler.getRuns('Jobs.heartbeat')).toHaveLength(index + 1);
      await app.close();
      app = null;
    }
  });

  it('two providers whose jobs would share an id are refused at bootstrap, naming both', async () => {
    @Injectable()
    class First {
      @Interval('shared', 1000)
      run(): void {}
    }
    @Injectable()
    class Second {
      @Interval('shared', 2000)
      run(): void {}
    }
    @Module({ imports: [TickworkModule.forRoot({ clock: new ManualClock(REFERENCE), logger: captureLogger('warn') })], providers: [First, Second] })
    class AppModule {}
    app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
    await expect(app.init()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/First\.run and Second\.run would both be "shared"/),
    });
  });
});
