/** The HTTP API of exclusions: calendars (PUT, GET, list, DELETE, refused while in use), a job's exclude, skip, preview marks. */
import { afterEach, describe, expect, it } from 'vitest';
import { json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

// REFERENCE is 2026-01-01T00:00:00Z.
const daily = { type: 'cron', expression: '0 9 * * *', timezone: 'UTC' };

describe('HTTP API: exclusions', () => {
  it('PUT creates (201) then replaces (200) a calendar; GET reads and lists it; DELETE is refused while a job names it, then removes it', async () => {
    s = await testServer();
    const put = (payload: Record<string, unknown>) => s.app.inject({ method: 'PUT', url: '/api/v1/calendars/holidays', headers: json, payload });
    const created = await put({ dates: ['2026-01-01'], ranges: [{ from: '2026-01-05', to: '2026-01-06' }], timezone: 'Europe/Berlin' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ name: 'holidays', dates: ['2026-01-01'], ranges: [{ from: '2026-01-05', to: '2026-01-06' }], timezone: 'Europe/Berlin' });
    const replaced = await put({ dates: ['2026-01-02'] });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toEqual({ name: 'holidays', dates: ['2026-01-02'], ranges: [], timezone: 'UTC' });
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/calendars/holidays' })).json().dates).toEqual(['2026-01-02']);
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/calendars' })).json()).toEqual({ items: [replaced.json()] });
    const missing = await s.app.inject({ method: 'GET', url: '/api/v1/calendars/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('CALENDAR_NOT_FOUND');
    const bad = await put({ ranges: [{ from: '2026-01-09', to: '2026-01-08' }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('calendar.ranges[0].to');

    const job = await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: json,
      payload: { id: 'report', task: 'noop', trigger: daily, exclude: { calendars: ['holidays'], dates: ['2026-01-03'] } },
    });
    expect(job.statusCode).toBe(201);
    expect(job.json().exclude).toEqual({ calendars: ['holidays'], dates: ['2026-01-03'], timezone: 'UTC', skip: [] });
    const inUse = await s.app.inject({ method: 'DELETE', url: '/api/v1/calendars/holidays' });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error.code).toBe('CALENDAR_IN_USE');
    await s.app.inject({ method: 'PATCH', url: '/api/v1/jobs/report', headers: json, payload: { exclude: null } });
    expect((await s.app.inject({ method: 'DELETE', url: '/api/v1/calendars/holidays' })).statusCode).toBe(204);
    expect((await s.app.inject({ method: 'DELETE', url: '/api/v1/calendars/holidays' })).statusCode).toBe(404);
  });

  it('a job naming an unknown calendar is refused with the field named', async () => {
    s = await testServer();
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: json,
      payload: { id: 'x', task: 'noop', trigger: daily, exclude: { calendars: ['nope'] } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'options.exclude.calendars[0]' }] });
  });

  it('POST /jobs/:id/skip skips a future fire (shown in exclude.skip) and refuses a time that is not one', async () => {
    s = await testServer();
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: { id: 'report', task: 'noop', trigger: daily } });
    const skip = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/report/skip', headers: json, payload: { scheduledAt: '2026-01-02T09:00:00Z' } });
    expect(skip.statusCode).toBe(200);
    expect(skip.json().exclude.skip).toEqual(['2026-01-02T09:00:00.000Z']);
    const wrong = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/report/skip', headers: json, payload: { scheduledAt: '2026-01-02T09:30:00Z' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toContain('is not a future fire time of job "report"');
    expect(
      (await s.app.inject({ method: 'POST', url: '/api/v1/jobs/gone/skip', headers: json, payload: { scheduledAt: '2026-01-02T09:00:00Z' } })).statusCode,
    ).toBe(404);
    await s.clock.advance(2 * 86_400_000);
    const runs = (await s.app.inject({ method: 'GET', url: '/api/v1/jobs/report/runs' })).json().items as { scheduledAt: string; outcome: string }[];
    expect(runs.map((r) => [r.scheduledAt, r.outcome])).toEqual([
      ['2026-01-02T09:00:00.000Z', 'excluded'],
      ['2026-01-01T09:00:00.000Z', 'succeeded'],
    ]);
  });

  it('the preview marks excluded fires by calendar, date and skip', async () => {
    s = await testServer();
    await s.app.inject({ method: 'PUT', url: '/api/v1/calendars/hols', headers: json, payload: { dates: ['2026-01-02'] } });
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/schedules/preview',
      headers: json,
      payload: { trigger: daily, count: 4, exclude: { calendars: ['hols'], dates: ['2026-01-03'], skip: ['2026-01-04T09:00:00Z'] } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([
      { at: '2026-01-01T09:00:00.000Z' },
      { at: '2026-01-02T09:00:00.000Z', excluded: 'calendar hols' },
      { at: '2026-01-03T09:00:00.000Z', excluded: 'date' },
      { at: '2026-01-04T09:00:00.000Z', excluded: 'skip' },
    ]);
    const unknown = await s.app.inject({
      method: 'POST',
      url: '/api/v1/schedules/preview',
      headers: json,
      payload: { trigger: daily, exclude: { calendars: ['x'] } },
    });
    expect(unknown.json().error.details[0].path).toBe('exclude.calendars[0]');
  });
});
