/**
 * Exclusions on a manual clock, on the memory and SQLite stores: calendars (dates, ranges, their zone),
 * a job's own dates, one-off skips; excluded fires recorded `excluded`, not run; a coalesced catch-up
 * does not count them; calendars and exclusions survive a restart. (PostgreSQL: test/stores/postgres-exclusions.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { TickworkError } from '../../src/core/errors.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import type { JobStore } from '../../src/stores/store.js';
import { captureLogger } from '../helpers.js';

/** 2026-12-23T00:00:00Z, a Wednesday. */
const START = Date.UTC(2026, 11, 23);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const schedulers: SchedulerService[] = [];

afterEach(async () => {
  for (const s of schedulers.splice(0)) if (s.isRunning) await s.shutdown({ wait: false });
});

async function failure(action: () => unknown): Promise<TickworkError> {
  try {
    await action();
  } catch (error) {
    return error as TickworkError;
  }
  throw new Error('expected the call to fail');
}

const stores: [string, () => JobStore][] = [
  ['memory', () => new MemoryJobStore()],
  ['sqlite', () => new SqliteJobStore({ path: join(mkdtempSync(join(tmpdir(), 'tw-excl-')), 'jobs.db') })],
];

describe.each(stores)('exclusions on the %s store', (_kind, makeStore) => {
  function make(store: JobStore, clock: ManualClock): { scheduler: SchedulerService; ran: number[] } {
    const scheduler = new SchedulerService({ store, clock, logger: captureLogger('error'), timezone: 'UTC' });
    const ran: number[] = [];
    scheduler.registerTask('tick', (ctx) => void ran.push(ctx.scheduledAtMs));
    schedulers.push(scheduler);
    return { scheduler, ran };
  }

  // docs/semantics.md#exclusions
  it('a calendar date, a range and a job date are recorded excluded, not run; the event says so', async () => {
    const clock = new ManualClock(START);
    const { scheduler, ran } = make(makeStore(), clock);
    const events: unknown[] = [];
    scheduler.on('job_excluded', (e) => void events.push(e));
    await scheduler.start();
    await scheduler.putCalendar('holidays', { dates: ['2026-12-25'], ranges: [{ from: '2026-12-31', to: '2027-01-01' }] });
    // Daily at 09:00 UTC from Dec 23.
    await scheduler.addCronJob('tick', '0 9 * * *', 'daily', { exclude: { calendars: ['holidays'], dates: ['2026-12-28'] } });
    await clock.advance(10 * DAY);
    const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
    expect(ran.map(day)).toEqual(['2026-12-23', '2026-12-24', '2026-12-26', '2026-12-27', '2026-12-29', '2026-12-30']);
    const runs = await scheduler.getRuns('daily', { limit: 20 });
    const excluded = runs.filter((r) => r.outcome === 'excluded');
    expect(excluded.map((r) => r.scheduledAt.toISOString().slice(0, 10)).sort()).toEqual(['2026-12-25', '2026-12-28', '2026-12-31', '2027-01-01']);
    expect(excluded.find((r) => r.scheduledAt.toISOString().startsWith('2026-12-25'))?.error).toMatchObject({
      code: 'EXCLUDED',
      message: expect.stringContaining('calendar holidays'),
    });
    expect(excluded.find((r) => r.scheduledAt.toISOString().startsWith('2026-12-28'))?.error?.message).toContain('exclude.dates');
    expect(runs.some((r) => r.outcome === 'missed')).toBe(false);
    expect(events).toHaveLength(4);
    // The health fold ignores excluded fires: the job is ok, not overdue.
    expect((await scheduler.getJob('daily'))?.health.state).toBe('ok');
    // Days of manual-clock time on SQLite: 6 s on a quiet machine, past the default bound under load.
  }, 60_000);

  it("reads a calendar's dates in its zone, and a job's dates in the job's zone", async () => {
    // 2026-12-25T03:00Z is still Dec 24 in New York and already Dec 25 in Tokyo.
    const clock = new ManualClock(START);
    const { scheduler, ran } = make(makeStore(), clock);
    await scheduler.start();
    await scheduler.putCalendar('ny', { dates: ['2026-12-25'], timezone: 'America/New_York' });
    await scheduler.addCronJob('tick', '0 3 * * *', 'ny-job', { exclude: { calendars: ['ny'] } });
    await scheduler.addCronJob('tick', '0 3 * * *', 'tokyo-job', { timezone: 'Asia/Tokyo', exclude: { dates: ['2026-12-25'] } });
    await clock.advance(4 * DAY);
    const byJob = async (id: string): Promise<string[]> =>
      (await scheduler.getRuns(id, { limit: 10 })).filter((r) => r.outcome === 'excluded').map((r) => r.scheduledAt.toISOString());
    // New York's Dec 25 03:00 UTC fire is Dec 24 there; its Dec 26 03:00 UTC fire is Dec 25 22:00 there.
    expect(await byJob('ny-job')).toEqual(['2026-12-26T03:00:00.000Z']);
    // Tokyo's 03:00 local on Dec 25 is Dec 24 18:00 UTC.
    expect(await byJob('tokyo-job')).toEqual(['2026-12-24T18:00:00.000Z']);
    expect(ran.length).toBeGreaterThan(0);
  });

  it('skipFire skips one occurrence, shows it in the job until it passes, and refuses a time that is not a future fire', async () => {
    const clock = new ManualClock(START);
    const { scheduler, ran } = make(makeStore(), clock);
    await scheduler.start();
    await scheduler.addIntervalJob('tick', 3600, 'hourly');
    const second = START + 2 * HOUR;
    const info = await scheduler.skipFire('hourly', new Date(second));
    expect(info.exclude).toEqual({ calendars: [], dates: [], timezone: 'UTC', skip: [new Date(second).toISOString()] });
    const notFire = await failure(() => scheduler.skipFire('hourly', new Date(second + 1000)));
    expect(notFire.code).toBe('INVALID_ARGUMENT');
    expect(notFire.message).toContain('is not a future fire time of job "hourly"');
    expect((await failure(() => scheduler.skipFire('hourly', new Date(START - HOUR)))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(() => scheduler.skipFire('hourly', 'tomorrow' as unknown as Date))).code).toBe('INVALID_ARGUMENT');
    await clock.advance(3 * HOUR);
    expect(ran).toEqual([START + HOUR, START + 3 * HOUR]);
    const runs = await scheduler.getRuns('hourly', { limit: 10 });
    expect(runs.filter((r) => r.outcome === 'excluded').map((r) => r.scheduledAt.getTime())).toEqual([second]);
    expect((await scheduler.getJob('hourly'))?.exclude?.skip).toEqual([]);
    const why = await scheduler.explain('hourly', new Date(second));
    expect(why).toMatchObject({ verdict: 'excluded', evidence: { reason: expect.stringContaining('one-off skip') } });
  });

  it('a coalesced catch-up does not count excluded fires, and runs none when all are excluded', async () => {
    const clock = new ManualClock(START);
    const { scheduler, ran } = make(makeStore(), clock);
    await scheduler.start();
    await scheduler.putCalendar('xmas', { dates: ['2026-12-25'] });
    await scheduler.addIntervalJob('tick', 6 * 3600, 'six-hourly', { exclude: { calendars: ['xmas'] }, misfireGraceTime: null });
    await scheduler.pause();
    // Due meanwhile: Dec 23 06, 12, 18, Dec 24 00, 06, 12, 18, Dec 25 00, 06, 12, 18 (11 fires; the last four excluded).
    await clock.advance(2 * DAY + 20 * HOUR);
    await scheduler.resume();
    await clock.advance(0);
    await clock.advance(1);
    expect(ran).toEqual([START + DAY + 18 * HOUR]);
    const runs = await scheduler.getRuns('six-hourly', { limit: 20 });
    expect(runs.filter((r) => r.outcome === 'excluded')).toHaveLength(4);
    const run = runs.find((r) => r.outcome === 'succeeded');
    expect(run?.coalesced).toBe(7);
  });

  it('the health fold ignores excluded fires: a job whose fires are all excluded is not overdue', async () => {
    const clock = new ManualClock(START);
    const { scheduler, ran } = make(makeStore(), clock);
    await scheduler.start();
    await scheduler.putCalendar('all', { ranges: [{ from: '2026-12-01', to: '2027-01-31' }] });
    await scheduler.addIntervalJob('tick', 60, 'quiet', { exclude: { calendars: ['all'] }, overdueAfterMissedFires: 3 });
    await clock.advance(20 * 60_000);
    expect(ran).toEqual([]);
    expect((await scheduler.getRuns('quiet', { limit: 50 })).filter((r) => r.outcome === 'excluded')).toHaveLength(20);
    expect((await scheduler.getJob('quiet'))?.health.state).not.toBe('overdue');
  });

  it('validates: unknown calendar, bad dates, bad ranges; removing a calendar in use is refused', async () => {
    const clock = new ManualClock(START);
    const { scheduler } = make(makeStore(), clock);
    await scheduler.start();
    const unknown = await failure(() => scheduler.addIntervalJob('tick', 60, 'x', { exclude: { calendars: ['nope'] } }));
    expect(unknown.code).toBe('INVALID_ARGUMENT');
    expect(unknown.details?.[0]?.path).toBe('options.exclude.calendars[0]');
    expect((await failure(() => scheduler.addIntervalJob('tick', 60, 'x', { exclude: { dates: ['2026-02-30'] } }))).details?.[0]?.path).toBe(
      'options.exclude.dates[0]',
    );
    expect((await failure(() => scheduler.putCalendar('c', { ranges: [{ from: '2026-12-31', to: '2026-12-01' }] }))).details?.[0]?.path).toBe(
      'calendar.ranges[0].to',
    );
    expect((await failure(() => scheduler.putCalendar('c', {}))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(() => scheduler.putCalendar('c', { dates: ['2026-12-25'], timezone: 'Mars/Base' }))).details?.[0]?.path).toBe('calendar.timezone');
    expect((await failure(() => scheduler.putCalendar('bad name', { dates: ['2026-12-25'] }))).details?.[0]?.path).toBe('name');
    await scheduler.putCalendar('c', { dates: ['2026-12-25', '2026-12-25'] });
    expect(await scheduler.getCalendar('c')).toEqual({ name: 'c', dates: ['2026-12-25'], ranges: [], timezone: 'UTC' });
    await scheduler.addIntervalJob('tick', 60, 'user', { exclude: { calendars: ['c'] } });
    const inUse = await failure(() => scheduler.removeCalendar('c'));
    expect(inUse.code).toBe('CALENDAR_IN_USE');
    expect(inUse.message).toContain('"user"');
    await scheduler.updateJob('user', { exclude: null });
    expect((await scheduler.getJob('user'))?.exclude).toBeUndefined();
    await scheduler.removeCalendar('c');
    expect(await scheduler.getCalendars()).toEqual([]);
    expect((await failure(() => scheduler.removeCalendar('c'))).code).toBe('CALENDAR_NOT_FOUND');
    const changed = await failure(() => scheduler.updateJob('user', { exclude: { calendars: ['gone'] } }));
    expect(changed.details?.[0]?.path).toBe('changes.exclude.calendars[0]');
    expect(() => new SchedulerService({ jobDefaults: { exclude: null } as never })).toThrow(/jobDefaults.exclude: is a per-job option/);
  });

  it('calendars and a job exclusion survive a restart on the same store', async () => {
    const clock = new ManualClock(START);
    const store = makeStore();
    const first = make(store, clock);
    await first.scheduler.start();
    await first.scheduler.putCalendar('xmas', { dates: ['2026-12-25'] });
    await first.scheduler.addCronJob('tick', '0 9 * * *', 'daily', { exclude: { calendars: ['xmas'], dates: ['2026-12-26'] } });
    await first.scheduler.shutdown();
    const reopened = store instanceof SqliteJobStore ? new SqliteJobStore({ path: (store as unknown as { path: string }).path }) : store;
    const second = make(reopened, clock);
    await second.scheduler.start();
    expect(await second.scheduler.getCalendars()).toEqual([{ name: 'xmas', dates: ['2026-12-25'], ranges: [], timezone: 'UTC' }]);
    expect((await second.scheduler.getJob('daily'))?.exclude).toMatchObject({ calendars: ['xmas'], dates: ['2026-12-26'] });
    await clock.advance(5 * DAY);
    // The memory store keeps the first scheduler's function on its job; SQLite's second scheduler runs its own.
    const days = [...first.ran, ...second.ran].map((ms) => new Date(ms).toISOString().slice(0, 10));
    expect(days).toEqual(['2026-12-23', '2026-12-24', '2026-12-27']);
  });
});

describe('exclusion calendars at store open', () => {
  it('a stored calendar that cannot be read fails the start; once it is fixed, the next start reads it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tw-excl-open-')), 'jobs.db');
    const clock = new ManualClock(START);
    const first = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger: captureLogger('error'), timezone: 'UTC' });
    await first.start();
    await first.putCalendar('c', { dates: ['2026-12-25'] });
    await first.shutdown();
    const db = new Database(path);
    db.prepare("UPDATE calendars SET spec = 'not json' WHERE name = 'c'").run();
    const store = new SqliteJobStore({ path });
    const second = new SchedulerService({ store, clock, logger: captureLogger('error'), timezone: 'UTC' });
    schedulers.push(second);
    await expect(second.start()).rejects.toThrow();
    db.prepare('UPDATE calendars SET spec = ? WHERE name = ?').run(JSON.stringify({ dates: ['2026-12-26'], ranges: [], timezone: 'UTC' }), 'c');
    db.close();
    await second.start();
    expect(await second.getCalendar('c')).toEqual({ name: 'c', dates: ['2026-12-26'], ranges: [], timezone: 'UTC' });
  });
});
