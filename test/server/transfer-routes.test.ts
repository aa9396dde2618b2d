/** GET /export and POST /import over HTTP: admin only, the caller's jobs owned by the API, prune and dry run. */
import { describe, expect, it } from 'vitest';
import { intervalJob, json, testServer } from './server-helpers.js';

const ADMIN = { authorization: 'Bearer admin-key-0123456789abcdef' };
const MONITOR = { authorization: 'Bearer monitor-key-0123456789abcdef' };

describe('export and import routes', () => {
  it('round trip, prune of API jobs only, dry run; monitors refused', async () => {
    const { app, scheduler } = await testServer({ adminKeys: ['admin-key-0123456789abcdef'], monitorKeys: ['monitor-key-0123456789abcdef'] });
    for (const id of ['a', 'b']) {
      expect(
        (await app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { ...ADMIN, ...json }, payload: intervalJob(id, { args: { secret: id } }) }))
          .statusCode,
      ).toBe(201);
    }
    await scheduler.addJob({ id: 'lib', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/jobs/a', headers: ADMIN })).json()).toMatchObject({ owner: 'api' });

    expect((await app.inject({ method: 'GET', url: '/api/v1/export', headers: MONITOR })).statusCode).toBe(403);
    const exported = await app.inject({ method: 'GET', url: '/api/v1/export', headers: ADMIN });
    expect(exported.statusCode).toBe(200);
    const body = exported.json<{ jobs: { id: string; args?: unknown }[] }>();
    expect(body.jobs.map((j) => j.id)).toEqual(['a', 'b', 'lib']);
    expect(body.jobs[0]?.args).toEqual({ secret: 'a' });

    const same = await app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...ADMIN, ...json }, payload: body });
    expect(same.json()).toEqual({ created: [], updated: [], unchanged: ['a', 'b', 'lib'], removed: [] });

    const onlyA = { jobs: body.jobs.filter((j) => j.id === 'a'), prune: true };
    const dry = await app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...ADMIN, ...json }, payload: { ...onlyA, dryRun: true } });
    expect(dry.json()).toEqual({ created: [], updated: [], unchanged: ['a'], removed: ['b'] });
    expect(await scheduler.getJob('b')).toBeDefined();
    const pruned = await app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...ADMIN, ...json }, payload: onlyA });
    expect(pruned.json()).toEqual({ created: [], updated: [], unchanged: ['a'], removed: ['b'] });
    expect((await scheduler.getJobs({ sort: 'id' })).items.map((j) => j.id)).toEqual(['a', 'lib']); // the library's job stays

    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/import',
      headers: { ...ADMIN, ...json },
      payload: { jobs: [{ id: 'x', task: 'nope', trigger: { type: 'interval', seconds: 1 } }] },
    });
    expect(refused.statusCode).toBe(422);
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/import',
      headers: { ...ADMIN, ...json },
      payload: { jobs: [{ id: 'x', trigger: { type: 'interval', seconds: 1 } }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: [{ path: 'jobs[0].task' }] } });
    expect((await app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...MONITOR, ...json }, payload: { jobs: [] } })).statusCode).toBe(403);
    await app.close();
  });
});
