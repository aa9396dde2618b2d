/** Every route of the HTTP API through app.inject(), with its success and error statuses. */
import { afterEach, describe, expect, it } from 'vitest';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

describe('HTTP API routes', () => {
  it('GET /health, /ready, /whoami, /scheduler, /tasks', async () => {
    s = await testServer();
    expect((await s.app.inject('/api/v1/health')).json()).toEqual({ status: 'ok' });
    expect((await s.app.inject('/api/v1/ready')).json()).toMatchObject({ status: 'ready', store: 'ok' });
    expect((await s.app.inject('/api/v1/whoami')).json()).toEqual({ role: 'admin', via: 'loopback' });
    expect((await s.app.inject('/api/v1/scheduler')).json()).toMatchObject({ state: 'running', jobs: 0, timezone: 'UTC' });
    expect((await s.app.inject('/api/v1/tasks')).json().items.map((t: { name: string }) => t.name)).toEqual(['http', 'log', 'noop']);
  });

  it('POST /jobs creates (201), GET reads, conflicting id is 409, unknown id is 404', async () => {
    s = await testServer();
    const created = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a', { args: { n: 1 } }) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'a',
      task: 'noop',
      args: { n: 1 },
      nextRunTime: '2026-01-01T00:01:00.000Z',
      trigger: { type: 'interval', seconds: 60, description: 'every minute' },
    });
    expect((await s.app.inject('/api/v1/jobs/a')).json()).toMatchObject({ id: 'a' });
    const again = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a') });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICTING_ID');
    const missing = await s.app.inject('/api/v1/jobs/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'JOB_NOT_FOUND', message: expect.stringContaining('"nope"') } });
  });

  it('GET /jobs pages with limit and nextCursor, filters by q and state, sorts', async () => {
    s = await testServer();
    for (let i = 0; i < 5; i++) await s.scheduler.addJob({ id: `job-${i}`, task: 'noop', trigger: { type: 'interval', seconds: 100 - i } });
    await s.scheduler.pauseJob('job-3');
    const first = (await s.app.inject('/api/v1/jobs?limit=2')).json();
    expect(first.items.map((j: { id: string }) => j.id)).toEqual(['job-0', 'job-1']);
    const second = (await s.app.inject(`/api/v1/jobs?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.items.map((j: { id: string }) => j.id)).toEqual(['job-2', 'job-3']);
    const third = (await s.app.inject(`/api/v1/jobs?limit=2&cursor=${second.nextCursor}`)).json();
    expect(third).toMatchObject({ nextCursor: null });
    expect(third.items.map((j: { id: string }) => j.id)).toEqual(['job-4']);
    const bySoonest = (await s.app.inject('/api/v1/jobs?sort=nextRunTime')).json();
    expect(bySoonest.items.map((j: { id: string }) => j.id)).toEqual(['job-4', 'job-2', 'job-1', 'job-0', 'job-3']);
    expect((await s.app.inject('/api/v1/jobs?state=paused')).json().items.map((j: { id: string }) => j.id)).toEqual(['job-3']);
    expect((await s.app.inject('/api/v1/jobs?q=JOB-1')).json().items.map((j: { id: string }) => j.id)).toEqual(['job-1']);
    expect((await s.app.inject('/api/v1/jobs?limit=1001')).statusCode).toBe(400);
  });

  it('PATCH /jobs/:id changes fields atomically; DELETE removes (204)', async () => {
    s = await testServer();
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a') });
    const patched = await s.app.inject({
      method: 'PATCH',
      url: '/api/v1/jobs/a',
      headers: json,
      payload: { name: 'Renamed', maxInstances: 2, trigger: { type: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin' } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Renamed', maxInstances: 2, timezone: 'Europe/Berlin', nextRunTime: '2026-01-01T01:30:00.000Z' });
    const bad = await s.app.inject({
      method: 'PATCH',
      url: '/api/v1/jobs/a',
      headers: json,
      payload: { name: 'Other', trigger: { type: 'cron', expression: '99 * * * *' } },
    });
    expect(bad.statusCode).toBe(400);
    expect((await s.scheduler.getJob('a'))?.name).toBe('Renamed'); // nothing changed
    const removed = await s.app.inject({ method: 'DELETE', url: '/api/v1/jobs/a', headers: json });
    expect(removed.statusCode).toBe(204);
    expect((await s.app.inject({ method: 'DELETE', url: '/api/v1/jobs/a', headers: json })).statusCode).toBe(404);
  });

  it('POST pause, resume, run and cancel; GET runs pages newest first', async () => {
    s = await testServer();
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a') });
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/pause', headers: json })).json()).toMatchObject({ paused: true, nextRunTime: null });
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/resume', headers: json })).json()).toMatchObject({ paused: false });
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/run', headers: json })).statusCode).toBe(202);
    await s.clock.advance(180_000);
    const runs = (await s.app.inject('/api/v1/jobs/a/runs?limit=2')).json();
    expect(runs.items).toHaveLength(2);
    expect(runs.items[0]).toMatchObject({ jobId: 'a', outcome: 'succeeded', attempt: 1 });
    expect(Date.parse(runs.items[0].scheduledAt)).toBeGreaterThan(Date.parse(runs.items[1].scheduledAt));
    const older = (await s.app.inject(`/api/v1/jobs/a/runs?limit=2&cursor=${runs.nextCursor}`)).json();
    expect(older.items.length).toBeGreaterThanOrEqual(1);
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/cancel', headers: json })).json()).toEqual({ cancelled: 0 });
    expect((await s.app.inject('/api/v1/jobs/nope/runs')).statusCode).toBe(404);
  });

  it('runJobNow beyond maxInstances is 409; an unregistered task is 422', async () => {
    s = await testServer();
    s.scheduler.registerTask('slow', (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))));
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: json,
      payload: { id: 's', task: 'slow', trigger: { type: 'interval', seconds: 3600 } },
    });
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/s/run', headers: json })).statusCode).toBe(202);
    const full = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/s/run', headers: json });
    expect(full.statusCode).toBe(409);
    expect(full.json().error.code).toBe('MAX_INSTANCES_REACHED');
    const unknown = await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: json,
      payload: { task: 'nope', trigger: { type: 'interval', seconds: 1 } },
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.code).toBe('TASK_NOT_REGISTERED');
    await s.scheduler.cancelRun('s');
  });

  it('POST /scheduler/pause and /resume; POST /schedules/preview marks DST fires', async () => {
    s = await testServer();
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/scheduler/pause', headers: json })).json()).toMatchObject({ state: 'paused' });
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/scheduler/resume', headers: json })).json()).toMatchObject({ state: 'running' });
    const preview = await s.app.inject({
      method: 'POST',
      url: '/api/v1/schedules/preview',
      headers: json,
      payload: { trigger: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' }, from: '2026-03-07T12:00:00Z', count: 2 },
    });
    expect(preview.json()).toEqual({ items: [{ at: '2026-03-08T07:00:00.000Z', dst: 'shifted' }, { at: '2026-03-09T06:30:00.000Z' }] });
  });

  it('POST /schedules/preview takes jobId for H; a job added with that id gets the same times and words', async () => {
    s = await testServer();
    const trigger = { type: 'cron', expression: 'H H(0-5) L * *', timezone: 'UTC' };
    const preview = await s.app.inject({
      method: 'POST',
      url: '/api/v1/schedules/preview',
      headers: json,
      payload: { trigger, jobId: 'backup', from: '2026-01-01T00:00:00Z', count: 2 },
    });
    // backup: minute 28, hour 4 (test/cron/hash.test.ts); L: the last day of the month.
    expect(preview.json()).toEqual({ items: [{ at: '2026-01-31T04:28:00.000Z' }, { at: '2026-02-28T04:28:00.000Z' }] });
    const added = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: { id: 'backup', task: 'noop', trigger } });
    expect(added.statusCode).toBe(201);
    expect(added.json().trigger).toEqual({ ...trigger, description: 'at 04:28 on the last day of every month, UTC' });
  });

  it('GET /metrics speaks Prometheus; GET /docs/json is the OpenAPI document; unknown routes are 404 JSON', async () => {
    s = await testServer();
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: json, payload: intervalJob('a') });
    await s.clock.advance(60_000);
    const metrics = await s.app.inject('/api/v1/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('tickwork_runs_total{outcome="succeeded"} 1');
    expect(metrics.body).toContain('tickwork_jobs 1');
    const doc = (await s.app.inject('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/v1/jobs/{id}/runs');
    const nowhere = await s.app.inject('/api/v1/nowhere');
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.json().error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('GET /events streams scheduler events as SSE with <epoch>-<seq> ids', async () => {
    s = await testServer();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (s.app.server.address() as { port: number }).port;
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    await s.scheduler.addJob({ id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: job_added')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toMatch(/event: job_added\nid: [0-9a-z]+-\d+\ndata: \{"jobId":"a"\}/);
    controller.abort();
  });
});
