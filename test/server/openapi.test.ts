/**
 * The OpenAPI document is the contract generated clients rely on. Every answer below (and in every test
 * built on testServer) is validated against /docs/json by conformance.ts; this file also makes sure each
 * operation the document lists is exercised, with its success status and the error statuses it documents.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/core/errors.js';
import { exercisedOperations, operationsOf, takeViolations, type OpenApiDocument } from './conformance.js';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const ADMIN = 'admin-key-0123456789';
const MONITOR = 'monitor-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const monitor = { authorization: `Bearer ${MONITOR}` };

let documented: string[] = [];

async function document(server: TestServer): Promise<OpenApiDocument & { openapi: string }> {
  const answer = await server.app.inject('/docs/json');
  expect(answer.statusCode).toBe(200);
  return answer.json();
}

describe('the OpenAPI document', () => {
  it('documents each operation: bodiless actions without a body, success statuses as answered, the Error schema on every error status', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    const doc = await document(s);
    documented = operationsOf(doc);
    expect(documented).toEqual(
      expect.arrayContaining([
        'GET /api/v1/health',
        'GET /api/v1/jobs',
        'POST /api/v1/jobs',
        'POST /api/v1/jobs/batch',
        'DELETE /api/v1/jobs/{id}',
        'POST /api/v1/jobs/{id}/run',
        'GET /api/v1/events',
        'GET /api/v1/metrics',
      ]),
    );
    const op = (method: string, path: string): Record<string, unknown> & { responses: Record<string, { content?: Record<string, unknown> }> } =>
      (doc.paths[path] as Record<string, never>)[method] as never;
    for (const path of ['/api/v1/jobs/{id}/cancel', '/api/v1/scheduler/resume']) {
      expect(op('post', path).requestBody, path).toBeUndefined();
    }
    // Pause, resume and run take an optional body (until, note; catchUp; args, note): documented, never required.
    for (const path of ['/api/v1/jobs/{id}/pause', '/api/v1/jobs/{id}/resume', '/api/v1/scheduler/pause', '/api/v1/jobs/{id}/run']) {
      expect(op('post', path).requestBody, path).toMatchObject({ required: false });
    }
    expect(op('delete', '/api/v1/jobs/{id}').requestBody).toBeUndefined();
    expect(op('post', '/api/v1/jobs').requestBody).toBeDefined();
    expect(Object.keys(op('delete', '/api/v1/jobs/{id}').responses)).toContain('204');
    expect(op('delete', '/api/v1/jobs/{id}').responses['204']?.content).toBeUndefined();
    expect(Object.keys(op('post', '/api/v1/jobs/{id}/run').responses)).toContain('202');
    expect(Object.keys(op('post', '/api/v1/jobs').responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '409', '413', '415', '422', '429', '500', '503']),
    );
    expect(Object.keys(op('get', '/api/v1/health').responses).sort()).toEqual(['200', '400', '500', '503']);
    // Every operation documents a success and the errors of its kind, each with a JSON schema.
    for (const key of documented) {
      const [method = '', path = ''] = key.split(' ');
      const responses = op(method.toLowerCase(), path).responses;
      const statuses = Object.keys(responses);
      expect(
        statuses.some((status) => status.startsWith('2')),
        key,
      ).toBe(true);
      for (const status of statuses.filter((x) => Number(x) >= 400)) {
        expect(Object.values(ERROR_STATUS), `${key} ${status}`).toContain(Number(status));
        expect(responses[status]?.content?.['application/json'], `${key} ${status}`).toBeDefined();
      }
    }
  });

  it('answers every operation, and every answer conforms', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    const { app, clock } = s;
    const post = (url: string, payload?: unknown, headers: Record<string, string> = admin): Promise<LightMyRequestResponse> =>
      app.inject({
        method: 'POST',
        url,
        headers: payload === undefined ? headers : { ...headers, ...json },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const status = async (answer: Promise<LightMyRequestResponse>): Promise<number> => (await answer).statusCode;

    expect(await status(app.inject('/api/v1/health'))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/ready', headers: admin }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/whoami', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/whoami' }))).toBe(401);
    expect(await status(app.inject({ url: '/api/v1/scheduler', headers: admin }))).toBe(200);
    expect(await status(post('/api/v1/scheduler/pause'))).toBe(200);
    expect(await status(post('/api/v1/scheduler/resume'))).toBe(200);
    expect(await status(post('/api/v1/scheduler/pause', undefined, monitor))).toBe(403);
    expect(await status(app.inject({ url: '/api/v1/tasks', headers: admin }))).toBe(200);
    expect(await status(post('/api/v1/schedules/preview', { trigger: { type: 'interval', seconds: 0.7 } }, monitor))).toBe(200);
    expect(await status(post('/api/v1/schedules/preview', { trigger: { type: 'cron', expression: 'nope' } }))).toBe(400);

    // Jobs: create (with and without an id), read, list (admin and monitor views), change, actions, runs.
    expect(await status(post('/api/v1/jobs', intervalJob('a', { args: { n: 1 } })))).toBe(201);
    expect(await status(post('/api/v1/jobs', { task: 'log', args: { message: 'hi' }, trigger: { type: 'cron', expression: '*/5 * * * *' } }))).toBe(201);
    expect(await status(post('/api/v1/jobs', { id: 'e', task: 'noop', trigger: { type: 'interval', seconds: 60, endDate: '2026-01-01T00:10:00Z' } }))).toBe(
      201,
    );
    expect(await status(post('/api/v1/jobs', intervalJob('a')))).toBe(409);
    // A batch answers 200 per item (here one created, one taken); a body that is not a batch is 400.
    expect((await post('/api/v1/jobs/batch', { jobs: [intervalJob('b'), intervalJob('a')] })).json()).toMatchObject({ created: 1, failed: 1 });
    expect(await status(post('/api/v1/jobs/batch', { jobs: [] }))).toBe(400);
    expect(await status(post('/api/v1/jobs/batch', { jobs: [intervalJob('c')] }, monitor))).toBe(403);
    expect(await status(post('/api/v1/jobs', { task: 'nope', trigger: { type: 'interval', seconds: 1 } }))).toBe(422);
    expect(await status(post('/api/v1/jobs', { task: 'http', args: { url: 7 }, trigger: { type: 'interval', seconds: 1 } }))).toBe(400);
    expect(await status(app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...admin, 'content-type': 'text/plain' }, payload: 'x' }))).toBe(415);
    expect(await status(app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...admin, ...json }, payload: `"${'x'.repeat(1024 * 1024)}"` }))).toBe(
      413,
    );
    expect(await status(app.inject({ url: '/api/v1/jobs/a', headers: admin }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/jobs/a', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/jobs/nope', headers: admin }))).toBe(404);
    expect(await status(app.inject({ url: '/api/v1/jobs/bad%20id', headers: admin }))).toBe(400);
    expect(await status(app.inject({ url: '/api/v1/jobs?limit=2', headers: admin }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/jobs', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/jobs?state=nope', headers: admin }))).toBe(400);
    expect(
      await status(app.inject({ method: 'PATCH', url: '/api/v1/jobs/a', headers: { ...admin, ...json }, payload: { name: 'A', retries: { max: 2 } } })),
    ).toBe(200);
    expect(await status(app.inject({ method: 'PATCH', url: '/api/v1/jobs/nope', headers: { ...admin, ...json }, payload: { name: 'A' } }))).toBe(404);
    expect(await status(app.inject({ method: 'PATCH', url: '/api/v1/jobs/a', headers: admin }))).toBe(415);
    expect(await status(post('/api/v1/jobs/a/pause'))).toBe(200);
    expect(await status(post('/api/v1/jobs/a/resume'))).toBe(200);
    expect(await status(post('/api/v1/jobs/nope/resume'))).toBe(404);
    expect(await status(post('/api/v1/jobs/a/run'))).toBe(202);
    expect(await status(post('/api/v1/jobs/a/run', { note: 'from the test' }))).toBe(202);
    expect(await status(post('/api/v1/jobs/a/run', { bogus: 1 }))).toBe(400);
    expect(await status(post('/api/v1/jobs/nope/run'))).toBe(404);
    expect(await status(post('/api/v1/jobs/a/cancel'))).toBe(200);
    await clock.advance(120_000);
    const runs = await app.inject({ url: '/api/v1/jobs/a/runs?limit=1', headers: admin });
    expect(runs.statusCode).toBe(200);
    expect(await status(app.inject({ url: `/api/v1/jobs/a/runs?cursor=${String(runs.json().nextCursor)}`, headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/jobs/a/runs?cursor=x', headers: admin }))).toBe(400);
    expect(await status(app.inject({ url: '/api/v1/jobs/a', headers: admin }))).toBe(200); // now with a lastRun
    // Backfill: a dry run (200), a bad range (400), an unknown job (404).
    const range = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:02:00Z' };
    expect(await status(post('/api/v1/jobs/a/backfill', { ...range, only: ['missed', 'failed'], dryRun: true }))).toBe(200);
    expect(await status(post('/api/v1/jobs/a/backfill', { from: range.to, to: range.from }))).toBe(400);
    expect(await status(post('/api/v1/jobs/nope/backfill', range))).toBe(404);
    // Exclusion calendars and a one-off skip.
    const put = (url: string, payload: unknown): Promise<LightMyRequestResponse> =>
      app.inject({ method: 'PUT', url, headers: { ...admin, ...json }, payload: payload as object });
    expect(await status(put('/api/v1/calendars/hols', { dates: ['2026-12-25'] }))).toBe(201);
    expect(await status(put('/api/v1/calendars/hols', { dates: ['2026-12-25'], ranges: [{ from: '2026-12-30', to: '2026-12-31' }] }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/calendars', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/calendars/hols', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/calendars/nope', headers: admin }))).toBe(404);
    expect(await status(post('/api/v1/jobs', intervalJob('x', { exclude: { calendars: ['hols'] } })))).toBe(201);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/calendars/hols', headers: admin }))).toBe(409);
    expect(await status(post('/api/v1/jobs/x/skip', { scheduledAt: '2026-01-01T00:05:00Z' }))).toBe(200);
    expect(await status(post('/api/v1/jobs/x/skip', { scheduledAt: '2026-01-01T00:05:30Z' }))).toBe(400);
    expect(await status(post('/api/v1/jobs/nope/skip', { scheduledAt: '2026-01-01T00:05:00Z' }))).toBe(404);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/jobs/x', headers: admin }))).toBe(204);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/calendars/hols', headers: admin }))).toBe(204);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/calendars/hols', headers: admin }))).toBe(404);
    // A job whose trigger ended while it was paused: resume answers { removed: true, message }.
    expect(await status(post('/api/v1/jobs/e/pause'))).toBe(200);
    await clock.advance(3_600_000);
    expect((await post('/api/v1/jobs/e/resume')).json()).toMatchObject({ removed: true });
    // Why didn't it run (a read: monitor keys too).
    expect(await status(app.inject({ url: '/api/v1/jobs/a/explain?at=2026-01-01T00:01:00Z', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/jobs/a/explain?at=nope', headers: admin }))).toBe(400);
    expect(await status(app.inject({ url: '/api/v1/jobs/nope/explain?at=2026-01-01T00:01:00Z', headers: admin }))).toBe(404);
    // Notification targets and deliveries.
    const target = { url: 'http://127.0.0.1:9/hook', on: ['failing', 'recovered'] };
    const putTarget = (payload: unknown): Promise<LightMyRequestResponse> => put('/api/v1/notifications/targets/t1', payload);
    expect(await status(putTarget(target))).toBe(201);
    expect(await status(putTarget({ ...target, secret: 'a-secret-of-16-chars' }))).toBe(200);
    expect(await status(putTarget({ url: 'ftp://x' }))).toBe(400);
    expect(await status(app.inject({ url: '/api/v1/notifications/targets', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/notifications/targets/t1', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/notifications/targets/nope', headers: admin }))).toBe(404);
    expect(await status(app.inject({ url: '/api/v1/notifications/deliveries?limit=5', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/notifications/targets/t1', headers: admin }))).toBe(204);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/notifications/targets/t1', headers: admin }))).toBe(404);
    // The audit trail (monitors too), export (admin only) and import with its refusals.
    expect(await status(app.inject({ url: '/api/v1/audit?jobId=a&limit=2', headers: monitor }))).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/audit?cursor=x', headers: admin }))).toBe(400);
    const exported = await app.inject({ url: '/api/v1/export', headers: admin });
    expect(exported.statusCode).toBe(200);
    expect(await status(app.inject({ url: '/api/v1/export', headers: monitor }))).toBe(403);
    expect(
      await status(
        app.inject({
          method: 'POST',
          url: '/api/v1/import',
          headers: { ...admin, ...json },
          payload: { ...(exported.json() as Record<string, unknown>), dryRun: true },
        }),
      ),
    ).toBe(200);
    expect(
      await status(
        app.inject({
          method: 'POST',
          url: '/api/v1/import',
          headers: { ...admin, ...json },
          payload: { jobs: [{ id: 'n', task: 'nope', trigger: { type: 'interval', seconds: 1 } }] },
        }),
      ),
    ).toBe(422);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/jobs/a', headers: admin }))).toBe(204);
    expect(await status(app.inject({ method: 'DELETE', url: '/api/v1/jobs/a', headers: admin }))).toBe(404);

    expect(await status(app.inject({ url: '/api/v1/metrics', headers: admin }))).toBe(200);
    // Every failed attempt past the limit is 429, with the Error body.
    let limited = 0;
    for (let i = 0; i < 25 && limited === 0; i++)
      if ((await status(app.inject({ url: '/api/v1/scheduler', headers: { authorization: 'Bearer wrong-key-0123456789' } }))) === 429) limited++;
    expect(limited).toBe(1);
  });

  it('GET /events answers text/event-stream', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const address = await s.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const answer = await fetch(`${address}/api/v1/events`, { headers: admin, signal: controller.signal });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
    controller.abort();
    expect((await s.app.inject('/api/v1/events')).statusCode).toBe(401);
  });

  it('catches an answer that does not conform (the check itself can fail)', async () => {
    s = await testServer();
    // A field the response schema does not declare is dropped by the serializer: the check reports it.
    s.app.scheduler.getJob = async () => ({ ...(await s.scheduler.addJob(intervalJob('x') as never)), surprise: 1 }) as never;
    await s.app.inject('/api/v1/jobs/x');
    const violations = takeViolations();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/GET \/api\/v1\/jobs\/\{id\} answered 200: the serialized answer differs/);
  });
});

afterAll(() => {
  // Each test file has its own module state: these are the operations this file's servers answered.
  const missing = documented.filter((key) => !exercisedOperations().has(key));
  expect(missing, 'operations never exercised').toEqual([]);
});
