/** Config jobs are reconciled by id at every start: created, updated when changed, else left alone. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { reconcileCalendars, reconcileJobs } from '../../src/server/reconcile.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';

function boot(path: string, clock: ManualClock): SchedulerService {
  const s = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger: captureLogger(), timezone: 'UTC' });
  s.registerTask('noop', () => undefined);
  s.registerTask('other', () => undefined);
  return s;
}

describe('reconcileJobs', () => {
  it('creates missing jobs, updates changed ones, leaves the rest, keeps API pauses and API jobs', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-reconcile-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger();
    const config = [
      { id: 'same', task: 'noop', trigger: { type: 'interval' as const, seconds: 60 } },
      { id: 'changes', task: 'noop', trigger: { type: 'cron' as const, expression: '0 3 * * *' }, args: { v: 1 } },
    ];
    const one = boot(path, clock);
    await reconcileJobs(one, config, logger);
    await one.start();
    await one.addJob({ id: 'from-api', task: 'noop', trigger: { type: 'interval', seconds: 5 } });
    await one.pauseJob('same');
    const sameBefore = await one.getJob('same');
    await clock.advance(90_000);
    await one.shutdown();

    const changed = [
      config[0] as (typeof config)[number],
      { id: 'changes', task: 'other', trigger: { type: 'cron' as const, expression: '30 4 * * *' }, args: { v: 2 } },
      { id: 'new', task: 'noop', trigger: { type: 'interval' as const, seconds: 30 } },
    ];
    const two = boot(path, clock);
    await reconcileJobs(two, changed, logger);
    await two.start();
    expect((await two.getJobs()).items.map((j) => j.id).sort()).toEqual(['changes', 'from-api', 'new', 'same']);
    const same = await two.getJob('same');
    expect(same?.paused).toBe(true); // the API pause survived
    expect(same?.trigger).toEqual(sameBefore?.trigger); // left alone: same anchor
    const updated = await two.getJob('changes');
    expect(updated).toMatchObject({ task: 'other', args: { v: 2 }, trigger: { expression: '30 4 * * *' } });
    expect(updated?.nextRunTime?.toISOString()).toBe('2026-01-01T04:30:00.000Z');
    const events = logger.lines.filter((l) => String(l.event).startsWith('config_job_')).map((l) => `${String(l.event)}:${String(l.jobId)}`);
    expect(events).toEqual(['config_job_created:same', 'config_job_created:changes', 'config_job_updated:changes', 'config_job_created:new']);
    await two.shutdown();
  });

  it('skips a date job already past its grace with config_job_skipped (a one-shot that ran), refuses bad args naming the field', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-reconcile-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger();
    const s = boot(path, clock);
    s.registerTask('typed', () => undefined, { argsSchema: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } } });
    const config = [
      { id: 'once', task: 'noop', trigger: { type: 'date' as const, runAt: '2025-12-31T00:00:00Z' } },
      { id: 'soon', task: 'noop', trigger: { type: 'date' as const, runAt: '2026-01-02T00:00:00Z' } },
    ];
    await reconcileJobs(s, config, logger);
    expect((await s.getJobs()).items.map((j) => j.id)).toEqual(['soon']);
    expect(logger.lines.find((l) => l.event === 'config_job_skipped')).toMatchObject({ jobId: 'once', reason: expect.stringContaining('trigger.runAt') });
    await expect(reconcileJobs(s, [{ id: 'bad', task: 'typed', args: { url: 1 }, trigger: { type: 'interval', seconds: 5 } }], logger)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: [{ path: 'args.url' }],
    });
    await s.shutdown().catch(() => undefined);
  });
});

describe('reconcileJobs with the trigger algebra', () => {
  it('leaves alone a calendar interval and an or holding an interval whose start was resolved when added; sees a changed child', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-reconcile-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger();
    const config = [
      { id: 'calendar', task: 'noop', trigger: { type: 'calendarInterval' as const, months: 1, hour: 9, timezone: 'UTC' }, maxRuns: 10 },
      {
        id: 'either',
        task: 'noop',
        trigger: {
          type: 'or' as const,
          triggers: [
            { type: 'interval' as const, seconds: 3600 },
            { type: 'cron' as const, expression: '0 9 * * *' },
          ],
        },
      },
    ];
    const one = boot(path, clock);
    await reconcileJobs(one, config, logger);
    await one.start();
    await one.shutdown();
    clock.stall(86_400_000 * 3); // a later start: "today" and "now" are different days
    const two = boot(path, clock);
    await reconcileJobs(two, config, logger);
    const changed = [
      config[0],
      {
        id: 'either',
        task: 'noop',
        trigger: {
          type: 'or' as const,
          triggers: [
            { type: 'interval' as const, seconds: 3600 },
            { type: 'cron' as const, expression: '0 10 * * *' },
          ],
        },
      },
    ];
    await reconcileJobs(two, changed as typeof config, logger);
    await two.start();
    const events = logger.lines.filter((l) => String(l.event).startsWith('config_job_')).map((l) => `${String(l.event)}:${String(l.jobId)}`);
    expect(events).toEqual(['config_job_created:calendar', 'config_job_created:either', 'config_job_updated:either']);
    await two.shutdown();
  });
});

describe('reconcileCalendars', () => {
  it('creates and replaces config calendars at every start, before the jobs that name them; an API skip survives a changed exclude', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-reconcile-cal-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger();
    const job = { id: 'report', task: 'noop', trigger: { type: 'cron' as const, expression: '0 9 * * *' }, exclude: { calendars: ['hols'] } };
    const one = boot(path, clock);
    await reconcileCalendars(one, { hols: { dates: ['2026-12-25'] } }, logger);
    await reconcileJobs(one, [job], logger);
    await one.start();
    await one.putCalendar('from-api', { dates: ['2026-07-04'] });
    await one.skipFire('report', new Date('2026-01-02T09:00:00Z'));
    await one.shutdown();

    const two = boot(path, clock);
    await reconcileCalendars(two, { hols: { dates: ['2026-12-25', '2026-12-26'] }, more: { ranges: [{ from: '2026-08-01', to: '2026-08-15' }] } }, logger);
    await reconcileJobs(two, [{ ...job, exclude: { calendars: ['hols', 'more'] } }], logger);
    expect((await two.getCalendars()).map((c) => [c.name, c.dates.length, c.ranges.length])).toEqual([
      ['from-api', 1, 0],
      ['hols', 2, 0],
      ['more', 0, 1],
    ]);
    expect((await two.getJob('report'))?.exclude).toEqual({ calendars: ['hols', 'more'], dates: [], timezone: 'UTC', skip: ['2026-01-02T09:00:00.000Z'] });
    expect(logger.lines.filter((l) => l.event === 'config_calendar_created').map((l) => l.calendar)).toEqual(['hols', 'more']);
    expect(logger.lines.filter((l) => l.event === 'config_calendar_updated').map((l) => l.calendar)).toEqual(['hols']);
  });
});
