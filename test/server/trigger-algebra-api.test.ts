/** The HTTP API with calendarInterval and combined triggers and maxRuns: created, shown in full, previewed, refused with the field named. */
import { afterEach, describe, expect, it } from 'vitest';
import { json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const friday13 = {
  type: 'and',
  triggers: [
    { type: 'calendarInterval', months: 1, hour: 12, timezone: 'UTC', startDate: '2026-01-13' },
    { type: 'cron', expression: '0 12 * * 5', timezone: 'UTC' },
  ],
};

describe('HTTP API: trigger algebra and run limits', () => {
  it('POST /jobs with a nested trigger and maxRuns answers the resolved spec, its words and remainingRuns; GET /jobs lists the same', async () => {
    s = await testServer();
    const trigger = { type: 'or', triggers: [friday13, { type: 'calendarInterval', years: 1, timezone: 'Europe/Berlin', startDate: '2026-02-29' }] };
    const created = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: { id: 'luck', task: 'noop', trigger, maxRuns: 3 } });
    expect(created.statusCode).toBe(400); // 2026-02-29 does not exist
    expect(created.json().error).toMatchObject({ code: 'INVALID_TRIGGER', details: [{ path: 'trigger.triggers[1].startDate' }] });

    trigger.triggers[1] = { type: 'calendarInterval', years: 1, timezone: 'Europe/Berlin', startDate: '2028-02-29' };
    const ok = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: { id: 'luck', task: 'noop', trigger, maxRuns: 3 } });
    expect(ok.statusCode).toBe(201);
    const body = ok.json();
    expect(body).toMatchObject({ maxRuns: 3, remainingRuns: 3, nextRunTime: '2026-02-13T12:00:00.000Z' });
    expect(body.trigger).toEqual({
      type: 'or',
      triggers: [
        {
          type: 'and',
          triggers: [
            { type: 'calendarInterval', months: 1, hour: 12, minute: 0, second: 0, timezone: 'UTC', startDate: '2026-01-13' },
            { type: 'cron', expression: '0 12 * * 5', timezone: 'UTC' },
          ],
        },
        { type: 'calendarInterval', years: 1, hour: 0, minute: 0, second: 0, timezone: 'Europe/Berlin', startDate: '2028-02-29' },
      ],
      description: expect.stringContaining('when all of: every month at 12:00 from 2026-01-13, UTC'),
    });
    const listed = (await s.app.inject('/api/v1/jobs')).json().items[0];
    expect(listed.trigger).toEqual(body.trigger);
    expect(listed.remainingRuns).toBe(3);
  });

  it('POST /schedules/preview lists the fires of an and trigger', async () => {
    s = await testServer();
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/schedules/preview',
      headers: json,
      payload: { trigger: friday13, count: 3, from: '2026-01-01T00:00:00Z' },
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(res.json())).toContain('2026-02-13T12:00:00.000Z');
    expect(JSON.stringify(res.json())).toContain('2026-11-13T12:00:00.000Z');
  });

  it('an and trigger that never fires is refused with INVALID_TRIGGER naming the search bound', async () => {
    s = await testServer();
    const never = {
      type: 'and',
      triggers: [
        { type: 'cron', expression: '*/2 * * * *' },
        { type: 'cron', expression: '1-59/2 * * * *' },
      ],
    };
    const res = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: { id: 'never', task: 'noop', trigger: never } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_TRIGGER');
    expect(res.json().error.message).toMatch(/never fire at the same instant within the search bound \(10 years ahead, 10000 candidate instants\)/);
  });

  it('maxRuns is validated by the schema: 0 and 1.5 are 400', async () => {
    s = await testServer();
    for (const maxRuns of [0, 1.5]) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        headers: json,
        payload: { id: 'x', task: 'noop', trigger: { type: 'interval', seconds: 60 }, maxRuns },
      });
      expect(res.statusCode).toBe(400);
    }
  });
});
