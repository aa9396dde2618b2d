/** Pause and resume over HTTP: the optional bodies, the caller recorded as `by`, the scheduler's pause, refusals. */
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE } from '../helpers.js';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const ADMIN = ['admin-key-0123456789', 'admin-key-abcdefghij'];
const bearer = (key: string | undefined): Record<string, string> => ({ authorization: `Bearer ${key ?? ''}` });
const iso = (seconds: number): string => new Date(REFERENCE + seconds * 1000).toISOString();

describe('pause routes', () => {
  it('POST /jobs/:id/pause with { until, note } records the caller (role, via, key index); resume with catchUp', async () => {
    s = await testServer({ adminKeys: ADMIN });
    const admin = { ...bearer(ADMIN[1]), ...json };
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: admin, payload: intervalJob('a') });
    const paused = await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/a/pause',
      headers: admin,
      payload: { until: iso(3600), note: 'migrating the database' },
    });
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({
      paused: true,
      pause: { since: iso(0), until: iso(3600), note: 'migrating the database', by: { role: 'admin', via: 'key', keyIndex: 1 } },
      health: { state: 'paused', since: iso(0), reason: `the job is paused by an admin API caller (key 1) until ${iso(3600)}: migrating the database` },
    });
    const listed = await s.app.inject({ url: '/api/v1/jobs', headers: bearer(ADMIN[0]) });
    expect(listed.json().items[0].pause).toMatchObject({ note: 'migrating the database' });
    // One actor: the pause's `by` is also the audit entry's.
    const audit = (await s.app.inject({ url: '/api/v1/audit?jobId=a&limit=10', headers: bearer(ADMIN[0]) })).json().items as {
      action: string;
      actor: unknown;
    }[];
    expect(audit.find((e) => e.action === 'job.paused')?.actor).toEqual({ role: 'admin', via: 'key', keyIndex: 1 });
    await s.clock.advance(290_000);
    const resumed = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/resume', headers: admin, payload: { catchUp: 'latest' } });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({ paused: false, pause: null, nextRunTime: iso(240) }); // the newest fire of the pause, 50 s late: within the 60 s grace
    await s.clock.advance(0);
    const runs = (await s.app.inject({ url: '/api/v1/jobs/a/runs', headers: bearer(ADMIN[0]) })).json().items as {
      outcome: string;
      scheduledAt: string;
      coalesced?: number;
    }[];
    expect(runs.map((run) => [run.outcome, run.scheduledAt, run.coalesced])).toEqual([
      ['succeeded', iso(240), undefined],
      ['paused', iso(60), 3],
    ]);
  });

  it("PATCH { paused: true } records its caller as the pause's by", async () => {
    s = await testServer({ adminKeys: ADMIN });
    const admin = { ...bearer(ADMIN[0]), ...json };
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: admin, payload: intervalJob('a') });
    const patched = await s.app.inject({ method: 'PATCH', url: '/api/v1/jobs/a', headers: admin, payload: { paused: true } });
    expect(patched.json().pause).toEqual({ since: iso(0), until: null, note: null, by: { role: 'admin', via: 'key', keyIndex: 0 } });
    const unpatched = await s.app.inject({ method: 'PATCH', url: '/api/v1/jobs/a', headers: admin, payload: { paused: false } });
    expect(unpatched.json()).toMatchObject({ paused: false, pause: null });
  });

  it('a bodiless POST still pauses and resumes (by the loopback caller)', async () => {
    s = await testServer();
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a') });
    const paused = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/pause' });
    expect(paused.statusCode).toBe(200);
    expect(paused.json().pause).toEqual({ since: iso(0), until: null, note: null, by: { role: 'admin', via: 'loopback' } });
    const resumed = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/resume' });
    expect(resumed.json()).toMatchObject({ paused: false, pause: null });
  });

  it('POST /scheduler/pause with a body: the status answers the pause; it lifts itself at until', async () => {
    s = await testServer({ adminKeys: ADMIN });
    const admin = { ...bearer(ADMIN[0]), ...json };
    const paused = await s.app.inject({ method: 'POST', url: '/api/v1/scheduler/pause', headers: admin, payload: { until: iso(60), note: 'deploy' } });
    expect(paused.json()).toMatchObject({
      state: 'paused',
      pause: { since: iso(0), until: iso(60), note: 'deploy', by: { role: 'admin', via: 'key', keyIndex: 0 } },
    });
    await s.clock.advance(60_000);
    expect((await s.app.inject({ url: '/api/v1/scheduler', headers: bearer(ADMIN[0]) })).json()).toMatchObject({ state: 'running', pause: null });
  });

  it('refuses an end in the past, a long note, a note with a control character, unknown fields and catch-ups (400, nothing changed)', async () => {
    s = await testServer();
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a') });
    await s.clock.advance(10_000);
    const cases: [string, unknown, RegExp][] = [
      ['/api/v1/jobs/a/pause', { until: iso(5) }, /until.*must be in the future/],
      ['/api/v1/jobs/a/pause', { until: 'tomorrow' }, /until/],
      ['/api/v1/jobs/a/pause', { note: 'x'.repeat(501) }, /note.*1-500 characters/],
      ['/api/v1/jobs/a/pause', { note: 'line one\r\nline two' }, /note.*control character/],
      ['/api/v1/jobs/a/pause', { reason: 'x' }, /reason|additional/i],
      ['/api/v1/jobs/a/resume', { catchUp: 'everything' }, /catchUp/],
      ['/api/v1/scheduler/pause', { until: iso(0) }, /until.*must be in the future/],
    ];
    for (const [url, payload, words] of cases) {
      const response = await s.app.inject({ method: 'POST', url, headers: json, payload: payload as Record<string, unknown> });
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(response.body).toMatch(words);
    }
    expect(await s.scheduler.getJob('a')).toMatchObject({ paused: false, pause: null });
    expect(s.scheduler.isPaused).toBe(false);
  });
});
