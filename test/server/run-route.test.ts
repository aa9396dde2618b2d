/**
 * POST /jobs/:id/run with its optional body { args?, note? }: the run's own args (checked against the
 * task's argsSchema: 400 naming the field), the caller recorded as the run's actor and in the audit
 * trail (with the note and the args redacted), monitors refused; GET /jobs/:id/runs shows every run's
 * trigger and actor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE } from '../helpers.js';
import { json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const ADMIN = ['admin-key-0123456789', 'admin-key-abcdefghij'];
const MONITOR = ['monitor-key-0123456789'];
const bearer = (key: string | undefined): Record<string, string> => ({ authorization: `Bearer ${key ?? ''}` });
const iso = (seconds: number): string => new Date(REFERENCE + seconds * 1000).toISOString();

describe('POST /jobs/:id/run', () => {
  it('runs with the given args and note, recorded with the caller; the job keeps its args; GET runs shows trigger and actor', async () => {
    s = await testServer({ adminKeys: ADMIN, monitorKeys: MONITOR });
    const seen: unknown[] = [];
    s.scheduler.registerTask('echo', (ctx) => void seen.push(ctx.args));
    const admin = { ...bearer(ADMIN[1]), ...json };
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: admin,
      payload: { id: 'e', task: 'echo', args: { n: 1 }, trigger: { type: 'interval', seconds: 60 } },
    });
    const ran = await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/e/run',
      headers: admin,
      payload: { args: { n: 2, password: 'hunter22-secret' }, note: 'replay of ticket 7' },
    });
    expect(ran.statusCode).toBe(202);
    expect(ran.json().args).toEqual({ n: 1 });
    const lastRunListed = async (): Promise<unknown> =>
      ((await s.app.inject({ url: '/api/v1/jobs', headers: bearer(ADMIN[0]) })).json().items as { lastRun?: unknown }[])[0]?.lastRun;
    expect(await lastRunListed()).toMatchObject({ trigger: 'manual', actor: { keyIndex: 1 }, note: 'replay of ticket 7' });
    // An empty body and no body at all still run the job with its own args.
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/e/run', headers: admin, payload: {} })).statusCode).toBe(202);
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/e/run', headers: bearer(ADMIN[0]) })).statusCode).toBe(202);
    // The same instant, another caller: the cached job list shows the newest run's actor, without the note.
    const listed = (await lastRunListed()) as Record<string, unknown>;
    expect(listed).toMatchObject({ trigger: 'manual', actor: { role: 'admin', via: 'key', keyIndex: 0 } });
    expect(listed.note).toBeUndefined();
    await s.clock.advance(60_000);
    expect(seen).toEqual([{ n: 2, password: 'hunter22-secret' }, { n: 1 }, { n: 1 }, { n: 1 }]);

    const runs = (await s.app.inject({ url: '/api/v1/jobs/e/runs', headers: bearer(MONITOR[0]) })).json().items as Record<string, unknown>[];
    expect(runs.map((r) => [r.scheduledAt, r.trigger, r.actor, r.note])).toEqual([
      [iso(60), 'schedule', { by: 'scheduler' }, undefined],
      [iso(0), 'manual', { role: 'admin', via: 'key', keyIndex: 0 }, undefined],
      [iso(0), 'manual', { role: 'admin', via: 'key', keyIndex: 1 }, undefined],
      [iso(0), 'manual', { role: 'admin', via: 'key', keyIndex: 1 }, 'replay of ticket 7'],
    ]);

    const audit = (await s.app.inject({ url: '/api/v1/audit?jobId=e', headers: bearer(MONITOR[0]) })).json().items as Record<string, unknown>[];
    const given = audit.filter((e) => e.action === 'job.run').at(-1) as { actor: unknown; after: { run?: unknown } };
    expect(given.actor).toEqual({ role: 'admin', via: 'key', keyIndex: 1 });
    expect(given.after.run).toEqual({ args: { n: 2, password: '[redacted]' }, note: 'replay of ticket 7' });
    expect(JSON.stringify(audit)).not.toContain('hunter22');
  });

  it("refuses args the task's argsSchema does not accept with 400 naming the field, a bad note or an unknown field with 400, and a monitor with 403", async () => {
    s = await testServer({ adminKeys: ADMIN, monitorKeys: MONITOR });
    const admin = { ...bearer(ADMIN[0]), ...json };
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: admin,
      payload: { id: 'h', task: 'http', args: { url: 'https://example.com/hook' }, trigger: { type: 'interval', seconds: 3600 } },
    });
    const wrongType = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/h/run', headers: admin, payload: { args: { url: 42 } } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'args.url' }] });
    const missing = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/h/run', headers: admin, payload: { args: { method: 'POST' } } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details).toContainEqual(expect.objectContaining({ path: 'args.url' }));
    const note = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/h/run', headers: admin, payload: { note: '' } });
    expect(note.statusCode).toBe(400);
    expect(note.json().error.message).toMatch(/note/);
    const unknown = await s.app.inject({ method: 'POST', url: '/api/v1/jobs/h/run', headers: admin, payload: { when: 'now' } });
    expect(unknown.statusCode).toBe(400);
    const monitor = await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/h/run',
      headers: { ...bearer(MONITOR[0]), ...json },
      payload: { args: { url: 'https://evil.example.com' } },
    });
    expect(monitor.statusCode).toBe(403);
    expect(monitor.json().error.code).toBe('FORBIDDEN');
    expect((await s.app.inject({ url: '/api/v1/jobs/h/runs', headers: bearer(ADMIN[0]) })).json().items).toEqual([]);
  });
});
