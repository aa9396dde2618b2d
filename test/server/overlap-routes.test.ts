/**
 * The overlap policy over HTTP: set on POST /jobs and PATCH, shown with the waiting fire in the JobInfo
 * (validated against the response schema by the conformance check), refused when unknown, carried by
 * GET /export.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE, deferred } from '../helpers.js';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const ADMIN = ['admin-key-0123456789'];
const admin = { authorization: `Bearer ${ADMIN[0]}`, ...json };
const iso = (seconds: number): string => new Date(REFERENCE + seconds * 1000).toISOString();

describe('overlap over HTTP', () => {
  it('takes overlap on POST and PATCH, shows the waiting fire, and exports the policy', async () => {
    s = await testServer({ adminKeys: ADMIN });
    const gate = deferred();
    s.scheduler.registerTask('slow', () => gate.promise);
    const created = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: admin, payload: intervalJob('a', { task: 'slow', overlap: 'queue' }) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ overlap: 'queue', waitingFire: null });
    await s.clock.advance(120_000);
    const job = await s.app.inject({ url: '/api/v1/jobs/a', headers: admin });
    expect(job.json()).toMatchObject({ overlap: 'queue', runningInstances: 1, waitingFire: { scheduledAt: iso(120) } });
    const listed = await s.app.inject({ url: '/api/v1/jobs', headers: admin });
    expect(listed.json().items[0]).toMatchObject({ waitingFire: { scheduledAt: iso(120) } });
    const patched = await s.app.inject({ method: 'PATCH', url: '/api/v1/jobs/a', headers: admin, payload: { overlap: 'replace' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ overlap: 'replace', waitingFire: null });
    const exported = await s.app.inject({ url: '/api/v1/export', headers: admin });
    expect(exported.json().jobs[0]).toMatchObject({ id: 'a', overlap: 'replace' });
    gate.resolve();
  });

  it('refuses an unknown overlap with 400 naming the field', async () => {
    s = await testServer({ adminKeys: ADMIN });
    const bad = await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: admin, payload: intervalJob('a', { overlap: 'buffer' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(JSON.stringify(bad.json())).toContain('overlap');
    await s.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: admin, payload: intervalJob('b') });
    const patch = await s.app.inject({ method: 'PATCH', url: '/api/v1/jobs/b', headers: admin, payload: { overlap: 'allow' } });
    expect(patch.statusCode).toBe(400);
  });
});
