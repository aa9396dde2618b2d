/** POST /jobs/:id/backfill over HTTP: dry run then the real one, admin only, the caller audited, refusals naming the field. */
import { afterEach, describe, expect, it } from 'vitest';
import { TickworkClient } from '../../src/client/client.js';
import { REFERENCE } from '../helpers.js';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  if (s?.scheduler.isRunning) await s.scheduler.shutdown({ wait: false });
  await s?.app.close();
});

const ADMIN = 'admin-key-0123456789';
const MONITOR = 'monitor-key-0123456789';
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const iso = (seconds: number): string => new Date(REFERENCE + seconds * 1000).toISOString();

describe('backfill route', () => {
  it('dry run lists, the real one starts the missed fires under their original times (#2), audited; refusals', async () => {
    s = await testServer({ adminKeys: [ADMIN], monitorKeys: [MONITOR] });
    const admin = { ...bearer(ADMIN), ...json };
    const post = (payload: unknown, headers: Record<string, string> = admin) =>
      s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/backfill', headers, payload: payload as Record<string, unknown> });
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: admin,
      payload: intervalJob('a', { trigger: { type: 'interval', seconds: 10 }, misfireGraceTime: 1, coalesce: false }),
    });
    s.clock.stall(25_000); // 10 and 20 due at once, past their grace: missed
    await s.clock.advance(0);

    const dry = await post({ from: iso(0), to: iso(25), dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toEqual({
      jobId: 'a',
      dryRun: true,
      from: iso(0),
      to: iso(25),
      only: ['missed'],
      fires: [
        { scheduledAt: iso(10), outcome: 'missed', attempt: 2, runId: `a@${iso(10)}#2` },
        { scheduledAt: iso(20), outcome: 'missed', attempt: 2, runId: `a@${iso(20)}#2` },
      ],
      leftAlone: {},
    });
    expect((await post({ from: iso(0), to: iso(25) }, { ...bearer(MONITOR), ...json })).statusCode).toBe(403);

    const bad = await post({ from: iso(0), to: iso(25), only: ['missed', 'paused'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: [{ path: 'body.only.1' }] } });
    const unknown = await post({ from: iso(0), to: iso(25), all: true });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(JSON.stringify(unknown.json())).toContain('all');
    const reversed = await post({ from: iso(25), to: iso(0) });
    expect(reversed.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: [{ path: 'options.to' }] } });
    const noZone = await post({ from: '2026-01-01T00:00:00', to: iso(25) });
    expect(noZone.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: [{ path: 'options.from' }] } });

    const started = await post({ from: iso(0), to: iso(25) });
    expect(started.statusCode).toBe(202);
    expect(started.json().fires).toHaveLength(2);
    await s.clock.advance(0);
    const runs = (await s.app.inject({ url: '/api/v1/jobs/a/runs?limit=10', headers: bearer(ADMIN) })).json().items as {
      id: string;
      outcome: string;
      trigger: string;
      actor: unknown;
    }[];
    const rerun = runs.filter((r) => r.outcome === 'succeeded');
    expect(rerun.map((r) => r.id)).toEqual([`a@${iso(20)}#2`, `a@${iso(10)}#2`]);
    // The runs say a backfill started them, and who asked.
    for (const r of rerun) expect(r).toMatchObject({ trigger: 'backfill', actor: { role: 'admin', via: 'key', keyIndex: 0 } });
    const audit = (await s.app.inject({ url: '/api/v1/audit?jobId=a&limit=1', headers: bearer(ADMIN) })).json().items;
    expect(audit[0]).toMatchObject({
      action: 'job.backfilled',
      actor: { role: 'admin', via: 'key', keyIndex: 0 },
      after: { backfill: { from: iso(0), to: iso(25), only: ['missed'], fires: 2 } },
    });
    // Nothing left: an answer, not a start.
    const none = await post({ from: iso(0), to: iso(25) });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toMatchObject({ fires: [], leftAlone: { succeeded: 2 } });

    // The typed client's method for the route.
    const address = await s.app.listen({ port: 0, host: '127.0.0.1' });
    const client = new TickworkClient({ url: address, key: ADMIN });
    expect(await client.backfillJob('a', { from: iso(0), to: iso(25), only: ['missed', 'failed'], dryRun: true })).toMatchObject({
      dryRun: true,
      only: ['missed', 'failed'],
      fires: [],
    });

    await s.app.inject({ method: 'POST', url: '/api/v1/jobs/a/pause', headers: admin, payload: {} });
    const paused = await post({ from: iso(0), to: iso(25), only: ['failed'] });
    expect(paused.statusCode).toBe(409);
    expect(paused.json()).toMatchObject({ error: { code: 'JOB_PAUSED' } });
    expect((await s.app.inject({ method: 'POST', url: '/api/v1/jobs/nope/backfill', headers: admin, payload: { from: iso(0), to: iso(1) } })).statusCode).toBe(
      404,
    );
  });
});
