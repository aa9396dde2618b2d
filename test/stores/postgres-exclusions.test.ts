/**
 * Exclusions on PostgreSQL: excluded fires recorded `excluded` and not run, on one node and after a
 * restart; a calendar changed on one node is seen by another (NOTIFY 'calendars') before its next fire.
 * Real time with generous bounds: the database is real. The dates excluded are today's and tomorrow's
 * (UTC), so a run crossing midnight still holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(!pgAvailable)('PostgreSQL store: exclusions', () => {
  let schema = '';
  const nodes: SchedulerService[] = [];
  let ran = 0;

  function node(): SchedulerService {
    const store = new PostgresJobStore({ connectionString: PG_URL, schema });
    const scheduler = new SchedulerService({ store, logger: captureLogger('error'), timezone: 'UTC' });
    scheduler.registerTask('tick', () => void ran++);
    nodes.push(scheduler);
    return scheduler;
  }

  const outcomes = async (jobId: string): Promise<{ outcome: string; scheduled_at: number }[]> =>
    sql(`SELECT status AS outcome, scheduled_at FROM "${schema}".runs WHERE job_id = $1 ORDER BY scheduled_at`, [jobId]);

  afterEach(async () => {
    for (const scheduler of nodes.splice(0)) if (scheduler.isRunning) await scheduler.shutdown({ wait: false });
    if (schema !== '') await dropSchema(schema);
    ran = 0;
  });

  it('records excluded fires, runs none, and keeps the calendar and the exclusion across a restart', async () => {
    schema = schemaName();
    const first = node();
    await first.start();
    await first.putCalendar('now', { dates: [day(0), day(1)] });
    await first.addIntervalJob('tick', 0.2, 'excluded', { exclude: { calendars: ['now'] } });
    await until(async () => (await outcomes('excluded')).length >= 3, 10_000, 'three excluded fires');
    await first.shutdown();
    const second = node();
    await second.start();
    expect(await second.getCalendar('now')).toEqual({ name: 'now', dates: [day(0), day(1)], ranges: [], timezone: 'UTC' });
    expect((await second.getJob('excluded'))?.exclude?.calendars).toEqual(['now']);
    const before = (await outcomes('excluded')).length;
    await until(async () => (await outcomes('excluded')).length >= before + 3, 10_000, 'three more excluded fires after the restart');
    expect(new Set((await outcomes('excluded')).map((r) => r.outcome))).toEqual(new Set(['excluded']));
    expect(ran).toBe(0);
  });

  it('a calendar changed on one node is seen by another before its next fire', async () => {
    schema = schemaName();
    const a = node();
    const b = node();
    await a.start();
    await b.start();
    await a.putCalendar('c', { dates: ['2000-01-01'] });
    await until(async () => (await b.getCalendar('c')) !== undefined, 10_000, 'node b sees the new calendar');
    await b.addIntervalJob('tick', 0.2, 'job', { exclude: { calendars: ['c'] } });
    await until(() => ran >= 3, 10_000, 'three runs');
    await a.putCalendar('c', { dates: [day(0), day(1)] });
    // Node b hears the NOTIFY and reads the calendars again.
    await until(async () => (await b.getCalendar('c'))?.dates.includes(day(0)) === true, 10_000, 'node b sees the change');
    const seen = Date.now();
    await until(async () => (await outcomes('job')).filter((r) => r.outcome === 'excluded').length >= 3, 10_000, 'three excluded fires');
    const late = (await outcomes('job')).filter((r) => r.outcome !== 'excluded' && Number(r.scheduled_at) > seen);
    expect(late).toEqual([]);
  });
});
