/**
 * POST /api/v1/jobs/batch: one request, one result per item with the status POST /jobs would have
 * answered for it alone; the request as a whole refused only when it is not a batch.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { TickworkClient } from '../../src/client/client.js';
import { ApiError } from '../../src/client/errors.js';
import { MAX_ADD_JOBS } from '../../src/scheduler/add-jobs.js';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const ADMIN = 'admin-key-0123456789';
const MONITOR = 'monitor-key-0123456789';

function batch(payload: unknown, key = ADMIN): Promise<LightMyRequestResponse> {
  return s.app.inject({ method: 'POST', url: '/api/v1/jobs/batch', headers: { ...json, authorization: `Bearer ${key}` }, payload: payload as object });
}

function single(payload: unknown): Promise<LightMyRequestResponse> {
  return s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...json, authorization: `Bearer ${ADMIN}` }, payload: payload as object });
}

describe('POST /jobs/batch', () => {
  it('answers each item with the status and body POST /jobs gives it alone', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    await single(intervalJob('taken'));
    const items = [
      intervalJob('a', { args: { n: 1 } }),
      { id: 'bad', task: 'noop', trigger: { type: 'interval', seconds: 60 }, name: 5 },
      intervalJob('taken'),
      { id: 'unknown', task: 'nope', trigger: { type: 'interval', seconds: 60 } },
      intervalJob('a'),
      { id: 'neg', task: 'noop', trigger: { type: 'interval', seconds: -1 } },
      { task: 'noop', trigger: { type: 'interval', seconds: 60 }, surprise: true },
      { task: 'noop', trigger: { type: 'cron', expression: '*/5 * * * *' } },
    ];
    const answer = await batch({ jobs: items });
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    expect(body.results.map((r: { index: number; status: number }) => [r.index, r.status])).toEqual([
      [0, 201],
      [1, 400],
      [2, 409],
      [3, 422],
      [4, 409],
      [5, 400],
      [6, 400],
      [7, 201],
    ]);
    expect([body.created, body.failed]).toEqual([2, 6]);
    expect(body.results[0].job).toMatchObject({ id: 'a', task: 'noop', args: { n: 1 }, owner: 'api', nextRunTime: '2026-01-01T00:01:00.000Z' });
    expect(body.results[0].error).toBeUndefined();
    expect(body.results[7].job.id).toMatch(/^[0-9a-f-]{36}$/);
    // Schema violations name the item's fields under body.jobs.<index>.
    expect(body.results[1].error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'body.jobs.1.name' }] });
    expect(body.results[6].error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'body.jobs.6.surprise', message: 'is not an allowed field' }] });
    // Everything else is the very error body POST /jobs answers.
    for (const index of [2, 3, 5]) {
      const alone = await single(items[index]);
      expect(body.results[index].status, `item ${index}`).toBe(alone.statusCode);
      expect(body.results[index].error, `item ${index}`).toEqual(alone.json().error);
    }
    expect(body.results[4].error).toMatchObject({ code: 'CONFLICTING_ID', message: expect.stringContaining('"a"') });
    // The created jobs are there, audited with the caller.
    expect((await s.scheduler.getJobs()).items).toHaveLength(3);
    const audit = (await s.scheduler.getAudit({ jobId: 'a' })).items;
    expect(audit.map((e) => [e.action, JSON.stringify(e.actor)])).toEqual([['job.added', JSON.stringify({ role: 'admin', via: 'key', keyIndex: 0 })]]);
  });

  it('refuses with 400 a body that is not a batch, creating nothing', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const tooMany = Array.from({ length: MAX_ADD_JOBS + 1 }, (_, i) => intervalJob(`j${i}`));
    for (const [payload, path] of [
      [[intervalJob('a')], 'body'],
      [{}, 'body'],
      [{ jobs: intervalJob('a') }, 'body.jobs'],
      [{ jobs: [] }, 'body.jobs'],
      [{ jobs: tooMany }, 'body.jobs'],
      [{ jobs: [intervalJob('a'), 'x'] }, 'body.jobs.1'],
      [{ jobs: [intervalJob('a')], dryRun: true }, 'body.dryRun'],
    ] as const) {
      const answer = await batch(payload);
      expect(answer.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(answer.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path }] });
    }
    expect((await s.scheduler.getJobs()).items).toHaveLength(0);
  });

  it('takes the most items in one request within the body limit', async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const jobs = Array.from({ length: MAX_ADD_JOBS }, (_, i) =>
      intervalJob(`job-with-a-longish-id-${String(i).padStart(4, '0')}`, { name: `Job number ${i}`, args: { tenant: `tenant-${i}`, n: i } }),
    );
    const answer = await batch({ jobs });
    expect(answer.statusCode).toBe(200);
    expect([answer.json().created, answer.json().failed]).toEqual([MAX_ADD_JOBS, 0]);
    expect((await s.scheduler.status()).jobs).toBe(MAX_ADD_JOBS);
  });

  it('is for admin keys: a monitor key gets 403, no key 401', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    const monitor = await batch({ jobs: [intervalJob('a')] }, MONITOR);
    expect(monitor.statusCode).toBe(403);
    expect(monitor.json().error.code).toBe('FORBIDDEN');
    const anonymous = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/batch', headers: json, payload: { jobs: [intervalJob('a')] } });
    expect(anonymous.statusCode).toBe(401);
    expect((await s.scheduler.getJobs()).items).toHaveLength(0);
  });

  it("is what the typed client's addJobs sends, answering per item", async () => {
    s = await testServer({ adminKeys: [ADMIN] });
    const client = new TickworkClient({ url: await s.app.listen({ port: 0, host: '127.0.0.1' }), key: ADMIN });
    const answer = await client.addJobs([
      { id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } },
      { id: 'a', task: 'noop', trigger: { type: 'interval', seconds: 60 } },
    ]);
    expect(answer).toMatchObject({
      created: 1,
      failed: 1,
      results: [
        { index: 0, status: 201, job: { id: 'a' } },
        { index: 1, status: 409 },
      ],
    });
    expect(answer.results[1]?.error?.code).toBe('CONFLICTING_ID');
    await expect(client.addJobs([])).rejects.toBeInstanceOf(ApiError);
  });
});
