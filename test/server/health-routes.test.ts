/** Job health over HTTP: the `health` filter of GET /jobs, and the /ready switch for overdue jobs. */
import { afterEach, describe, expect, it } from 'vitest';
import { json, testServer, type TestServer } from './server-helpers.js';

let server: TestServer | undefined;

afterEach(async () => {
  if (server?.scheduler.isRunning) await server.scheduler.shutdown({ wait: false });
  await server?.app.close();
  server = undefined;
});

describe('job health over HTTP', () => {
  it('filters GET /jobs by health and shows each job its health', async () => {
    server = await testServer();
    const { app, scheduler, clock } = server;
    scheduler.registerTask('broken', () => {
      throw new Error('disk full');
    });
    for (const [id, task] of [
      ['fails', 'broken'],
      ['works', 'noop'],
    ]) {
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        headers: json,
        payload: { id, task, trigger: { type: 'interval', seconds: 1 } },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ health: { state: 'pending', since: null, consecutiveFailures: 0 } });
    }
    await clock.advance(1_000);
    const failing = await app.inject({ url: '/api/v1/jobs?health=failing,overdue' });
    expect(failing.statusCode).toBe(200);
    expect(failing.json()).toMatchObject({
      items: [
        { id: 'fails', health: { state: 'failing', consecutiveFailures: 1, since: '2026-01-01T00:00:01.000Z', reason: 'the last run failed: disk full' } },
      ],
      nextCursor: null,
    });
    expect((failing.json() as { items: unknown[] }).items).toHaveLength(1);
    const ok = await app.inject({ url: '/api/v1/jobs/works' });
    expect(ok.json()).toMatchObject({ health: { state: 'ok', lastSuccessAt: '2026-01-01T00:00:01.000Z', lastFailureAt: null } });
    const bad = await app.inject({ url: '/api/v1/jobs?health=failing,broken' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: [{ path: 'querystring.health' }] } });
  });

  it('/ready answers 503 naming the overdue jobs only when ready.failOnOverdue is set', async () => {
    for (const failOnOverdue of [false, true]) {
      server = await testServer({ ready: { failOnOverdue } });
      const { app, scheduler } = server;
      const hung = new Promise(() => undefined);
      scheduler.registerTask('hangs', () => hung);
      await app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        headers: json,
        payload: { id: 'stuck', task: 'hangs', trigger: { type: 'interval', seconds: 1 }, overdueAfterMissedFires: 2 },
      });
      expect((await app.inject({ url: '/api/v1/ready' })).statusCode).toBe(200);
      await server.clock.advance(3_000); // one run hangs, two fires are skipped behind it
      const ready = await app.inject({ url: '/api/v1/ready' });
      if (failOnOverdue) {
        expect(ready.statusCode).toBe(503);
        expect(ready.json()).toMatchObject({ status: 'unavailable', scheduler: 'running', store: 'ok', overdueJobs: ['stuck'] });
      } else {
        expect(ready.statusCode).toBe(200);
      }
      await scheduler.shutdown({ wait: false });
      await app.close();
      server = undefined;
    }
  });
});
